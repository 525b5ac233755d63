// The `durable-core check` command as a user runs it: the built package's CLI (pkg/cli, or
// $DC_PKG/cli), on small projects written to a temporary directory, on this repository's own
// examples, test fixtures and bench objects, and installed from the packed tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PKG = process.env.DC_PKG ?? join(ROOT, "pkg");
const CLI = join(PKG, "cli", "durable-core.mjs");

function run(args, options = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", ...options });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function json(dir, ...args) {
  const r = run(["check", dir, "--format", "json", ...args]);
  return { ...r, report: r.out.trim().startsWith("{") ? JSON.parse(r.out) : undefined };
}

const CONFIG = {
  name: "t",
  main: "src/index.ts",
  compatibility_date: "2026-10-01",
  durable_objects: { bindings: [{ name: "ROOM", class_name: "Room" }] },
  migrations: [{ tag: "v1", new_sqlite_classes: ["Room"] }],
};

const CLEAN = `import { DurableObject } from "cloudflare:workers";
export class Room extends DurableObject {
  hit() {
    return this.ctx.storage.sql.exec("SELECT 1 AS n").one().n;
  }
}
export default { fetch: (r, env) => env.ROOM.getByName("a").fetch(r) };
`;

/** A project in a fresh directory: `files` maps relative paths to text. */
function project(files) {
  const dir = mkdtempSync(join(tmpdir(), "dc-check-"));
  const all = { "wrangler.jsonc": JSON.stringify(CONFIG, null, 2), "src/index.ts": CLEAN, ...files };
  for (const [path, text] of Object.entries(all)) {
    if (text === undefined) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const withTimer = CLEAN.replace("hit() {", "hit() {\n    setTimeout(() => {}, 10);");
const withBegin = CLEAN.replace('"SELECT 1 AS n"', '"BEGIN"');

test("a clean project: exit 0, an empty report, the summary line", () => {
  const dir = project({});
  const r = run(["check", dir]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /durable-core check: no problems in 2 files/);
  const { report } = json(dir);
  assert.deepEqual(report.findings, []);
  assert.equal(report.schema, 1);
  assert.deepEqual(report.files, ["wrangler.jsonc", "src/index.ts"]);
});

test("human output: path:line:col, severity, rule, message, code frame; no colour off a terminal", () => {
  const dir = project({ "src/index.ts": withBegin });
  const r = run(["check", dir]);
  assert.equal(r.code, 1);
  assert.match(r.out, /^src\/index\.ts:4:38 {2}error {2}sql-forbidden {2}.*transactionSync|^src\/index\.ts:4:38  error  sql-forbidden  /m);
  assert.match(r.out, /> 4 \|/);
  assert.match(r.out, /\^{7}/);
  assert.match(r.out, /1 problem \(1 error, 0 warnings\) in 2 files/);
  assert.doesNotMatch(r.out, /\x1b\[/);
});

test("json output follows the documented schema", () => {
  const { code, report } = json(project({ "src/index.ts": withTimer }));
  assert.equal(code, 0);
  assert.equal(report.warnings, 1);
  assert.equal(report.errors, 0);
  const [f] = report.findings;
  assert.deepEqual(Object.keys(f).sort(), ["docs", "end", "file", "message", "rule", "severity", "start"]);
  assert.equal(f.rule, "timer-in-object");
  assert.equal(f.severity, "warning");
  assert.deepEqual(f.start, { line: 4, column: 5 });
  assert.equal(f.docs, "docs/rules/timer-in-object.md");
});

test("sarif output is SARIF 2.1.0 with every rule and one result per finding", () => {
  const r = run(["check", project({ "src/index.ts": withBegin }), "--format", "sarif"]);
  assert.equal(r.code, 1);
  const sarif = JSON.parse(r.out);
  assert.equal(sarif.version, "2.1.0");
  const [runEntry] = sarif.runs;
  assert.equal(runEntry.tool.driver.name, "durable-core check");
  const ids = runEntry.tool.driver.rules.map((rule) => rule.id);
  assert.ok(ids.includes("sql-forbidden") && ids.includes("missing-migration"));
  assert.equal(runEntry.results.length, 1);
  const [result] = runEntry.results;
  assert.equal(result.ruleId, "sql-forbidden");
  assert.equal(ids[result.ruleIndex], "sql-forbidden");
  const rule = runEntry.tool.driver.rules[result.ruleIndex];
  assert.ok(existsSync(fileURLToPath(rule.helpUri)), rule.helpUri);
  assert.equal(result.level, "error");
  assert.deepEqual(result.locations[0].physicalLocation.region, { startLine: 4, startColumn: 38, endLine: 4, endColumn: 45 });
});

test("exit codes: warnings pass unless --max-warnings is exceeded; usage and configuration failures are 2", () => {
  const warn = project({ "src/index.ts": withTimer });
  assert.equal(run(["check", warn]).code, 0);
  assert.equal(run(["check", warn, "--max-warnings", "1"]).code, 0);
  assert.equal(run(["check", warn, "--max-warnings", "0"]).code, 1);
  assert.equal(run(["check", warn, "--max-warnings", "many"]).code, 2);
  assert.equal(run(["check", warn, "--frobnicate"]).code, 2);
  assert.equal(run(["check", warn, "--format", "xml"]).code, 2);
  const unknownRule = run(["check", warn, "--rule", "no-such-rule=off"]);
  assert.equal(unknownRule.code, 2);
  assert.match(unknownRule.err, /unknown rule `no-such-rule`/);
  assert.equal(run(["check", warn, "--rule", "timer-in-object=loud"]).code, 2);
  assert.equal(run(["check", project({ "wrangler.jsonc": "{ \"main\": " })]).code, 2);
  assert.equal(run(["check", project({ "wrangler.jsonc": undefined })]).code, 2);
  assert.equal(run(["check", project({ "wrangler.jsonc": JSON.stringify({ ...CONFIG, main: "src/nope.ts" }) })]).code, 2);
  assert.equal(run(["nope"]).code, 2);
  assert.equal(run([]).code, 0);
  assert.equal(run(["check", "--help"]).code, 0);
});

test("severities: --rule, package.json durableCore.check, the CLI winning over the file", () => {
  const dir = project({ "src/index.ts": withTimer });
  assert.equal(run(["check", dir, "--rule", "timer-in-object=error"]).code, 1);
  assert.equal(json(dir, "--rule", "timer-in-object=off").report.findings.length, 0);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ durableCore: { check: { rules: { "timer-in-object": "error" } } } }));
  assert.equal(run(["check", dir]).code, 1);
  assert.equal(run(["check", dir, "--rule", "timer-in-object=warn"]).code, 0);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ durableCore: { check: { rules: { "timer-in-object": 2 } } } }));
  assert.equal(run(["check", dir]).code, 1);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ durableCore: { check: { rules: { "timer-in-object": 0 } } } }));
  assert.equal(json(dir).report.findings.length, 0);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ durableCore: { check: { rules: { "not-a-rule": "off" } } } }));
  assert.equal(run(["check", dir]).code, 2);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ durableCore: { check: { include: "src/**" } } }));
  assert.equal(run(["check", dir]).code, 2);
  writeFileSync(join(dir, "package.json"), "{ not json");
  assert.equal(run(["check", dir]).code, 2);
});

test("-c names the configuration; TOML works the same", () => {
  const toml = `main = "src/index.ts"\ncompatibility_date = "2026-10-01"\n\n[[durable_objects.bindings]]\nname = "ROOM"\nclass_name = "Room"\n`;
  const dir = project({ "wrangler.jsonc": undefined, "config/prod.toml": toml.replace("src/index.ts", "../src/index.ts") });
  const { code, report } = json(dir, "-c", join(dir, "config/prod.toml"));
  assert.equal(code, 1);
  assert.deepEqual(report.findings.map((f) => [f.rule, f.file, f.start.line]), [["missing-migration", "config/prod.toml", 6]]);
});

test("--include adds files that the entry does not import", () => {
  const dir = project({ "scripts/tool.ts": withBegin });
  assert.equal(json(dir).report.findings.length, 0);
  const { report } = json(dir, "--include", "scripts/**/*.ts");
  assert.deepEqual(report.findings.map((f) => [f.rule, f.file]), [["sql-forbidden", "scripts/tool.ts"]]);
});

test("imports are followed from main", () => {
  const dir = project({
    "src/index.ts": `export { Room } from "./room.js";\nexport default {};\n`,
    "src/room.ts": withBegin,
  });
  const { report } = json(dir);
  assert.deepEqual(report.files, ["wrangler.jsonc", "src/index.ts", "src/room.ts"]);
  assert.deepEqual(report.findings.map((f) => f.file), ["src/room.ts"]);
});

test("suppressions: next line and whole file; an unused or unknown one is reported", () => {
  const nextLine = withTimer.replace("    setTimeout", "    // durable-core-disable-next-line timer-in-object -- a debounce, lost on eviction by design\n    setTimeout");
  assert.deepEqual(json(project({ "src/index.ts": nextLine })).report.findings, []);
  const file = `// durable-core-disable-file timer-in-object -- a demo\n${withTimer}`;
  assert.deepEqual(json(project({ "src/index.ts": file })).report.findings, []);
  const unused = `// durable-core-disable-next-line timer-in-object -- stale\n${CLEAN}`;
  const { report } = json(project({ "src/index.ts": unused }));
  assert.deepEqual(report.findings.map((f) => [f.rule, f.start.line]), [["unused-suppression", 1]]);
  const misspelt = withTimer.replace("    setTimeout", "    // durable-core-disable-next-line timer-in-objet\n    setTimeout");
  const rules = json(project({ "src/index.ts": misspelt })).report.findings.map((f) => f.rule).sort();
  assert.deepEqual(rules, ["timer-in-object", "unused-suppression"]);
});

test("a file that does not parse is a finding and the other files are still checked", () => {
  const dir = project({
    "src/index.ts": `export { Room } from "./room.js";\nimport "./broken.js";\nexport default {};\n`,
    "src/room.ts": withTimer,
    "src/broken.ts": "export function (\n",
  });
  const { code, report } = json(dir);
  assert.equal(code, 1);
  const rules = report.findings.map((f) => [f.file, f.rule]).sort();
  assert.deepEqual(rules, [["src/broken.ts", "syntax-error"], ["src/room.ts", "timer-in-object"]]);
});

test("a file nested thousands of levels deep is a syntax-error finding, on one thread or two, and the other files are still checked", () => {
  // Generated or minified code can nest far deeper than people write; the parser and the
  // semantic pass recurse once per level, and used to overflow the wasm's stack (exit 2).
  const r = (s, n) => s.repeat(n);
  const shapes = {
    parens: (n) => `export const x = ${r("(", n)}1${r(")", n)};\n`,
    arrays: (n) => `export const x = ${r("[", n)}1${r("]", n)};\n`,
    calls: (n) => `const f = (a: unknown) => a;\nexport const x = ${r("f(", n)}1${r(")", n)};\n`,
    objects: (n) => `export const x = ${r("{ a: ", n)}1${r(" }", n)};\n`,
    templates: (n) => `export const x = ${r("`${", n)}1${r("}`", n)};\n`,
    arrows: (n) => `export const x = ${r("() => ", n)}1;\n`,
    ifs: (n) => `export function g(a: boolean) {\n${r("if (a) {\n", n)}a = !a;\n${r("}\n", n)}}\n`,
    functions: (n) => `export ${r("function f() {\n", n)}${r("}\n", n)}`,
    conditionals: (n) => `const a = Math.random() > 0.5;\nexport const x = ${r("a ? 1 : ", n)}2;\n`,
    nots: (n) => `export const x = ${r("!", n)}1;\n`,
    methods: (n) => `const a: any = {};\nexport const x = a${r(".b()", n)};\n`,
    types: (n) => `export type T = ${r("Array<", n)}number${r(">", n)};\n`,
  };
  const files = {
    "src/index.ts": `export { Room } from "./room.js";\nexport default {};\n`,
    "src/room.ts": withTimer,
    // Left-deep: the parser reads it in a loop, oxc_semantic recursed once per term.
    "src/sum.ts": `const a = 1;\nexport const x = a${r(" + a", 50_000 - 1)};\n`,
    "src/members.ts": `const a: any = {};\nexport const x = a${r(".b", 10_000)};\n`,
    // Deep but within the limits: checked as any file.
    "src/fine.ts": `const a = 1;\nexport const x = ${r("(", 200)}a${r(" + a", 1_000)}${r(")", 200)};\nexport const y = ${r("[", 200)}${r("]", 200)};\n`,
    // A generated file may say so.
    "src/generated.ts": `// durable-core-disable-file syntax-error -- generated\n${shapes.parens(2_000)}`,
  };
  const deep = [];
  for (const [shape, make] of Object.entries(shapes)) {
    for (const n of [2_000, 10_000]) {
      files[`src/${shape}-${n}.ts`] = make(n);
      deep.push(`src/${shape}-${n}.ts`);
    }
  }
  deep.push("src/sum.ts", "src/members.ts");
  const dir = project(files);
  const threads = (n) => run(["check", dir, "--include", "src/*.ts", "--format", "json"], { env: { ...process.env, DURABLE_CORE_CHECK_THREADS: n } });
  const one = threads("1");
  assert.equal(one.code, 1, one.err);
  const report = JSON.parse(one.out);
  const found = report.findings.map((f) => [f.file, f.rule]).sort();
  const expected = [...deep.map((f) => [f, "syntax-error"]), ["src/room.ts", "timer-in-object"]].sort();
  assert.deepEqual(found, expected);
  for (const f of report.findings.filter((f) => f.rule === "syntax-error")) {
    assert.match(f.message, /nests more than \d+ levels deep/, f.file);
    assert.equal(f.severity, "error");
  }
  assert.equal(report.files.length, Object.keys(files).length + 1);
  const two = threads("2");
  assert.equal(two.code, one.code, two.err);
  assert.equal(two.out, one.out);
  rmSync(dir, { recursive: true, force: true });
});

test("JSX nested thousands of levels deep is a syntax-error finding, on one thread or two; ordinary TSX is checked as any file", () => {
  // The parser reads JSX recursively, once per element, and overflowed the stack at about 3,500
  // nested elements on Node's main thread (exit 2, every other file unreported).
  const r = (s, n) => s.repeat(n);
  const files = {
    "src/index.ts": `export { Room } from "./room.js";\nimport "./app.js";\nimport "./ui.js";\nexport default {};\n`,
    "src/room.ts": withTimer,
    "src/app.tsx": `export const app = ${r("<div>", 10_000)}a${r("</div>", 10_000)};\n`,
    "src/ui.tsx": `import { helper } from "./deep-ui.js";
export function List<T extends { id: string }>({ items }: { items: T[] }) {
  const pick = <U,>(x: U) => x;
  const few = items.length < 3 && items.length > 0 ? items : [];
  return (
    <ul className="list" aria-label='a "list" (of things)'>
      {few.map((item) => <li key={item.id} title="a > b">{String(pick(item))} (don't)</li>)}
      <>{helper}</>
    </ul>
  );
}
`,
    // Imported by a .tsx file: its imports were followed.
    "src/deep-ui.tsx": `export const helper = ${r("<>", 3_000)}a${r("</>", 3_000)};\n`,
  };
  const dir = project(files);
  const threads = (n) => run(["check", dir, "--format", "json"], { env: { ...process.env, DURABLE_CORE_CHECK_THREADS: n } });
  const one = threads("1");
  assert.equal(one.code, 1, one.err);
  const report = JSON.parse(one.out);
  assert.deepEqual(report.findings.map((f) => [f.file, f.rule]), [
    ["src/app.tsx", "syntax-error"],
    ["src/deep-ui.tsx", "syntax-error"],
    ["src/room.ts", "timer-in-object"],
  ]);
  for (const f of report.findings.filter((f) => f.rule === "syntax-error")) assert.match(f.message, /nests more than 500 levels deep \(brackets, JSX elements/, f.file);
  assert.equal(report.files.length, 6);
  const two = threads("2");
  assert.equal(two.code, one.code, two.err);
  assert.equal(two.out, one.out);
  rmSync(dir, { recursive: true, force: true });
});

test("a file that overflows the stack although the scan let it through is a syntax-error finding; every other file is still checked, on one thread or two", () => {
  // Split over lines, a chain of assignments or of conditionals defeats the lexical scan (a
  // newline ends its count) and overflows the parser's recursion before the AST's depth is
  // measured: the call traps, the CLI replaces the wasm instance and checks again the files
  // that instance had checked. No test hook: these are files a user could have.
  const r = (s, n) => s.repeat(n);
  const deep = {
    assignments: `let a: unknown;\nexport const x =\n${r("a =\n", 100_000)}1;\n`,
    conditionals: `const a = Math.random() > 0.5;\nexport const x = a\n${r("  ? 1\n  : a\n", 100_000)};\n`,
  };
  const timer = (i) => withTimer.replace("class Room", `class Room${i}`).replace(/export default[^\n]*\n/, "");
  // The worker is fed the entry, then a0..a7; a8 is this thread's (with one thread, all are).
  const files = { "src/index.ts": "" };
  for (let i = 0; i < 12; i++) {
    files[`src/a${i}.ts`] = timer(i);
    files["src/index.ts"] += `import "./a${i}.js";\n`;
  }
  files["src/a1.ts"] = deep.assignments;
  files["src/a8.ts"] = deep.conditionals;
  // Suppressed, as a generated file may be.
  files["src/a4.ts"] = `// durable-core-disable-file syntax-error -- generated\n${deep.assignments}`;
  // Imported by a file after the deep ones: still followed and checked.
  files["src/a11.ts"] = `import "./tail.js";\n${timer(11)}`;
  files["src/tail.ts"] = timer("Tail");
  files["src/index.ts"] += CLEAN;
  const dir = project(files);
  const threads = (n) => run(["check", dir, "--format", "json"], { env: { ...process.env, DURABLE_CORE_CHECK_THREADS: n } });
  const one = threads("1");
  assert.equal(one.code, 1, one.err);
  const report = JSON.parse(one.out);
  const found = report.findings.map((f) => [f.file, f.rule]);
  const expected = [];
  for (let i = 0; i < 12; i++) if (i !== 4) expected.push([`src/a${i}.ts`, [1, 8].includes(i) ? "syntax-error" : "timer-in-object"]);
  expected.push(["src/tail.ts", "timer-in-object"]);
  assert.deepEqual(found, expected.sort());
  for (const f of report.findings.filter((f) => f.rule === "syntax-error")) {
    assert.match(f.message, /could not analyse this file: it ran out of stack or memory/, f.file);
    assert.deepEqual([f.start.line, f.severity], [1, "error"]);
  }
  assert.equal(report.files.length, 15);
  const two = threads("2");
  assert.equal(two.code, one.code, two.err);
  assert.equal(two.out, one.out);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Bindings like the checker's, for `RecoveringChecker` alone: `addFile` traps on the paths in
 * `traps` and counts its calls; records are `{ path, analysed }`, exported and merged as the
 * real checker does.
 */
function fakeBindings(traps) {
  const calls = { addFile: 0, resets: 0 };
  class Checker {
    records = [];
    setConfig() {}
    addFile(path) {
      calls.addFile++;
      if (traps.has(path)) {
        throw new WebAssembly.RuntimeError("unreachable");
      }
      this.records.push({ path, analysed: true });
      return [];
    }
    addUnanalysable(path) {
      this.records.push({ path, analysed: false });
    }
    exportRecords() {
      const json = JSON.stringify(this.records);
      this.records = [];
      return json;
    }
    mergeRecords(json, mine, theirs) {
      const theirRecords = JSON.parse(json);
      assert.equal(mine.length, this.records.length);
      assert.equal(theirs.length, theirRecords.length);
      const all = [];
      mine.forEach((at, i) => (all[at] = this.records[i]));
      theirs.forEach((at, i) => (all[at] = theirRecords[i]));
      assert.equal(all.filter((r) => r !== undefined).length, mine.length + theirs.length);
      this.records = all;
    }
    finish() {
      return JSON.stringify(this.records);
    }
  }
  return { calls, bindings: { Checker, __wbg_reset_state: () => calls.resets++ } };
}

test("after a trap the checker's instance is replaced and only the files since the last trap are checked again: each file at most twice, in order, however many trap", async () => {
  const { RecoveringChecker } = await import(pathToFileURL(join(PKG, "cli", "recovering-checker.mjs")).href);
  const paths = Array.from({ length: 300 }, (_, i) => `src/f${i}.ts`);
  // Every third file traps; checked on one thread, or 200 here and 100 on the worker.
  const traps = new Set(paths.filter((_, i) => i % 3 === 2));
  const expected = (p) => ({ path: p, analysed: !traps.has(p) });
  for (const split of [false, true]) {
    const { calls, bindings } = fakeBindings(traps);
    const checker = new RecoveringChecker(bindings, "{}", () => new Uint8Array());
    checker.setConfig("wrangler.jsonc", "{}");
    const mine = split ? paths.slice(0, 200) : paths;
    for (const p of mine) assert.deepEqual(checker.addFile(p, new Uint8Array()), []);
    if (split) {
      // The worker's records (the last 100 files, with traps of their own), merged after.
      const worker = fakeBindings(traps);
      const other = new RecoveringChecker(worker.bindings, "{}", () => new Uint8Array());
      for (const p of paths.slice(200)) other.addFile(p, new Uint8Array());
      const records = other.exportRecords();
      assert.deepEqual(JSON.parse(records), paths.slice(200).map(expected));
      checker.mergeRecords(records, Uint32Array.from({ length: 200 }, (_, i) => i), Uint32Array.from({ length: 100 }, (_, i) => 200 + i));
    }
    assert.deepEqual(JSON.parse(checker.finish()), paths.map(expected));
    assert.equal(calls.resets, mine.filter((p) => traps.has(p)).length);
    // Checking every earlier file again at each trap made this 10,400 calls.
    assert.ok(calls.addFile <= 2 * mine.length, `${calls.addFile} calls for ${mine.length} files`);
  }
  // Every file traps: each is a finding, none is checked twice.
  const all = fakeBindings(new Set(paths));
  const checker = new RecoveringChecker(all.bindings, "{}", () => new Uint8Array());
  for (const p of paths) checker.addFile(p, new Uint8Array());
  assert.deepEqual(JSON.parse(checker.finish()), paths.map((p) => ({ path: p, analysed: false })));
  assert.equal(all.calls.addFile, paths.length);
  // A file that traps only when checked again (after a later file trapped) becomes a finding
  // too; the order holds.
  const once = fakeBindings(new Set(["src/f3.ts"]));
  let again = false;
  const Base = once.bindings.Checker;
  once.bindings.Checker = class extends Base {
    addFile(path, bytes) {
      if (path === "src/f1.ts" && again) throw new WebAssembly.RuntimeError("unreachable");
      return super.addFile(path, bytes);
    }
  };
  const reset = once.bindings.__wbg_reset_state;
  once.bindings.__wbg_reset_state = () => {
    again = true;
    reset();
  };
  const nested = new RecoveringChecker(once.bindings, "{}", () => new Uint8Array());
  for (const p of paths.slice(0, 6)) nested.addFile(p, new Uint8Array());
  assert.deepEqual(JSON.parse(nested.finish()), paths.slice(0, 6).map((p) => ({ path: p, analysed: !["src/f1.ts", "src/f3.ts"].includes(p) })));
  // An error of the checker's own (not a trap) is not a finding.
  const plain = fakeBindings(new Set());
  plain.bindings.Checker = class extends plain.bindings.Checker {
    addFile() {
      throw new Error("the check has finished");
    }
  };
  assert.throws(() => new RecoveringChecker(plain.bindings, "{}", () => new Uint8Array()).addFile("src/a.ts", new Uint8Array()), /the check has finished/);
});

test("a project checked on two threads gets the report of one thread, byte for byte", () => {
  // Sixty objects in as many files, each importing a helper module, some with findings (warnings, errors, suppressions used and
  // unused, a file that does not parse), and configuration findings that need facts from files
  // the other thread checked: a class never migrated, a bound class that main does not export.
  const files = { "src/index.ts": "" };
  const bindings = [];
  for (let i = 0; i < 60; i++) {
    const name = `Room${i}`;
    let body = CLEAN.replace("class Room", `class ${name}`).replace(/export default[^\n]*\n/, "");
    if (i % 5 === 0) body = body.replace("hit() {", "hit() {\n    setTimeout(() => {}, 10);");
    if (i % 7 === 0) body = body.replace('"SELECT 1 AS n"', '"BEGIN"');
    if (i % 10 === 0) body = body.replace("    setTimeout", "    // durable-core-disable-next-line timer-in-object -- on purpose\n    setTimeout");
    if (i === 13) body = `// durable-core-disable-next-line floating-rpc -- stale\n${body}`;
    if (i === 20) body += "export class Hidden extends DurableObject {}\n";
    // Imports found by either thread are queued in one order: the report lists files in it.
    files[`src/room-${i}.ts`] = `import { helper${i} } from "./util-${i}.js";\n${body}`;
    files[`src/util-${i}.ts`] = `export const helper${i} = (n: number) => n + ${i};\n`;
    files["src/index.ts"] += `export { ${name} } from "./room-${i}.js";\n`;
    bindings.push({ name: `ROOM_${i}`, class_name: name });
  }
  files["src/broken.ts"] = "export function (\n";
  files["src/index.ts"] += `import "./broken.js";\nexport default { fetch: (r, env) => env.ROOM_1.getByName("a").fetch(r) };\n`;
  bindings.push({ name: "HIDDEN", class_name: "Hidden" });
  const migrated = bindings.map((b) => b.class_name).filter((c) => c !== "Room3");
  files["wrangler.jsonc"] = JSON.stringify({ ...CONFIG, durable_objects: { bindings }, migrations: [{ tag: "v1", new_sqlite_classes: migrated }] }, null, 2);
  const dir = project(files);
  const threads = (n) => run(["check", dir, "--format", "json"], { env: { ...process.env, DURABLE_CORE_CHECK_THREADS: n } });
  const one = threads("1");
  const two = threads("2");
  assert.equal(one.code, 1, one.err);
  assert.equal(two.code, one.code, two.err);
  assert.equal(two.out, one.out);
  const report = JSON.parse(one.out);
  const rules = new Set(report.findings.map((f) => f.rule));
  for (const rule of ["timer-in-object", "sql-forbidden", "unused-suppression", "syntax-error", "missing-migration", "class-not-exported"]) {
    assert.ok(rules.has(rule), `${rule} in ${[...rules]}`);
  }
  assert.equal(report.files.length, 123);
});

test("two threads: a file this thread cannot read ends the command with its error (exit 2), as one thread does", () => {
  // The worker is fed the first files of the queue (the entry, then a0..a6); the next, b.ts,
  // is this thread's, and it is too large to read (sparse, 3 GB).
  const files = { "src/index.ts": "export default {};\n" };
  for (let i = 0; i < 7; i++) files[`src/a${i}.ts`] = `export const a${i} = 1;\n`;
  const dir = project(files);
  const big = join(dir, "src", "b.ts");
  writeFileSync(big, "");
  truncateSync(big, 3 * 2 ** 30);
  for (const threads of ["1", "2"]) {
    // A guard against a hang (the worker kept the process alive after the error), not a speed check.
    const r = run(["check", dir, "--include", "src/*.ts"], { env: { ...process.env, DURABLE_CORE_CHECK_THREADS: threads }, timeout: 120_000 });
    assert.equal(r.code, 2, `threads=${threads}: ${r.err}`);
    assert.match(r.err, /ERR_FS_FILE_TOO_LARGE|too large/i, `threads=${threads}`);
  }
  rmSync(dir, { recursive: true, force: true });
});

test("two threads: a file the worker cannot read ends the command with the error one thread prints", () => {
  // The worker is fed the first files of the queue (the entry, then a0..a6): a3.ts is its, and
  // it is too large to read (sparse, 3 GB).
  const files = { "src/index.ts": "export default {};\n" };
  for (let i = 0; i < 9; i++) files[`src/a${i}.ts`] = `export const a${i} = 1;\n`;
  const dir = project(files);
  truncateSync(join(dir, "src", "a3.ts"), 3 * 2 ** 30);
  const firstLine = (threads) => {
    // A guard against a hang, not a speed check.
    const r = run(["check", dir, "--include", "src/*.ts"], { env: { ...process.env, DURABLE_CORE_CHECK_THREADS: threads }, timeout: 120_000 });
    assert.equal(r.code, 2, `threads=${threads}: ${r.err}`);
    return r.err.split("\n")[0];
  };
  const one = firstLine("1");
  assert.match(one, /^durable-core check: RangeError \[ERR_FS_FILE_TOO_LARGE\]/);
  assert.equal(firstLine("2"), one);
  rmSync(dir, { recursive: true, force: true });
});

test("two threads: a failure before the first file (an unreadable configuration, an unknown rule) stops the worker", () => {
  const dir = project({ "src/other.ts": "export const x = 1;\n" });
  mkdirSync(join(dir, "config-dir"));
  for (const args of [["-c", join(dir, "config-dir")], ["--rule", "no-such-rule=warn"]]) {
    // A guard against a hang (the worker kept the process alive), not a speed check.
    const r = run(["check", dir, ...args], { env: { ...process.env, DURABLE_CORE_CHECK_THREADS: "2" }, timeout: 120_000 });
    assert.equal(r.code, 2, `${args}: ${r.err}`);
    assert.match(r.err, /EISDIR|unknown rule/, `${args}`);
  }
  rmSync(dir, { recursive: true, force: true });
});

test("two threads: a worker that cannot start leaves the check to this thread, with the same report", () => {
  const files = { "src/index.ts": withTimer };
  for (let i = 0; i < 12; i++) files[`src/a${i}.ts`] = i % 4 === 0 ? withBegin.replace("class Room", `class Room${i}`) : `export const a${i} = 1;\n`;
  const dir = project(files);
  // Preloaded modules that break worker_threads' Worker as a full process table or file table
  // would: its constructor throws, or the worker dies before its first line runs.
  const hooks = {
    throws: `const e = new Error("EMFILE: too many open files"); e.code = "EMFILE"; throw e;`,
    dies: `super("const e = new Error('EMFILE: too many open files, open'); e.code = 'EMFILE'; throw e;", { ...options, eval: true });`,
  };
  const args = ["check", dir, "--include", "src/*.ts", "--format", "json"];
  const one = run(args, { env: { ...process.env, DURABLE_CORE_CHECK_THREADS: "1" } });
  assert.equal(one.code, 1, one.err);
  for (const [name, body] of Object.entries(hooks)) {
    const hook = join(dir, `${name}.mjs`);
    writeFileSync(
      hook,
      `import { createRequire, syncBuiltinESMExports } from "node:module";
const threads = createRequire(import.meta.url)("node:worker_threads");
const Worker = threads.Worker;
threads.Worker = class extends Worker {
  constructor(url, options) {
    ${body}
  }
};
syncBuiltinESMExports();
`,
    );
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(hook).href, CLI, ...args], {
      encoding: "utf8",
      env: { ...process.env, DURABLE_CORE_CHECK_THREADS: "2" },
      // A guard against a hang, not a speed check.
      timeout: 120_000,
    });
    assert.equal(r.status, one.code, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, one.out, name);
    assert.equal(r.stderr, "", name);
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Copies a project (its config and sources, no node_modules) to a temporary directory. */
function copyProject(dir) {
  const to = mkdtempSync(join(tmpdir(), "dc-copy-"));
  cpSync(join(ROOT, dir), to, { recursive: true, filter: (src) => !/node_modules|\.wrangler|vendor/.test(src) });
  return to;
}

const PLANT = `
import { DurableObject as PlantedBase } from "cloudflare:workers";
export class Planted extends PlantedBase {
  reset() {
    this.ctx.storage.sql.exec("BEGIN");
  }
}
`;

const OWN_PROJECTS = [
  ...["counter", "chat", "booking", "game"].map((t) => [`pkg-template/templates/${t}`, "src/index.ts"]),
  ["examples/pool-workers", "src/index.ts"],
  ["ts-tests/fixtures", "worker.ts"],
];
for (const [dir, entry] of OWN_PROJECTS) {
  test(`${dir} comes out clean, and one planted violation fails it`, () => {
    const clean = run(["check", join(ROOT, dir)]);
    assert.equal(clean.code, 0, clean.out + clean.err);
    assert.match(clean.out, /no problems/);
    const copy = copyProject(dir);
    assert.ok(existsSync(join(copy, entry)), entry);
    appendFileSync(join(copy, entry), PLANT);
    const { code, report } = json(copy);
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.rule, f.file]), [["sql-forbidden", entry]]);
    rmSync(copy, { recursive: true, force: true });
  });
}

test("the bench objects (raw platform APIs on purpose) give only the documented findings", () => {
  // bench/harness.ts declares its namespaces untyped because one harness drives every peer
  // library's class through the same calls; nothing else in the bench is reported.
  const { code, report } = json(join(ROOT, "bench"));
  assert.equal(code, 0);
  const found = report.findings.map((f) => `${f.file} ${f.rule}`);
  const expected = found.filter((f) => f === "harness.ts untyped-namespace");
  assert.deepEqual(found, expected);
  assert.ok(expected.length >= 1);
});

test("npx durable-core check works in a fresh project installed from the packed tarball", () => {
  const work = mkdtempSync(join(tmpdir(), "dc-fresh-"));
  const tarball = execFileSync("npm", ["pack", PKG, "--pack-destination", work, "--silent"], { encoding: "utf8" }).trim().split("\n").pop();
  const dir = project({ "package.json": JSON.stringify({ name: "fresh", private: true, type: "module" }) });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--offline", join(work, tarball)], { cwd: dir, stdio: "pipe" });
  const ok = spawnSync("npx", ["--no-install", "durable-core", "check"], { cwd: dir, encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /no problems/);
  writeFileSync(join(dir, "src/index.ts"), withBegin);
  const bad = spawnSync("npx", ["--no-install", "durable-core", "check"], { cwd: dir, encoding: "utf8" });
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  rmSync(work, { recursive: true, force: true });
});

test("a suppression in the wrangler configuration silences a configuration finding", () => {
  const config = `{
  "main": "src/index.ts",
  "compatibility_date": "2026-10-01",
  "durable_objects": { "bindings": [{ "name": "ROOM", "class_name": "Room" }] },
  "migrations": [{ "tag": "v1", "new_classes": [
    // durable-core-disable-next-line kv-backed-class -- deployed before SQLite classes existed
    "Room"
  ] }]
}`;
  const plain = CLEAN.replace('this.ctx.storage.sql.exec("SELECT 1 AS n").one().n', "this.ctx.storage.get('n')");
  assert.deepEqual(json(project({ "wrangler.jsonc": config, "src/index.ts": plain })).report.findings, []);
  const unsuppressed = config.replace(/\n\s*\/\/ durable-core-disable-next-line.*\n/, "\n");
  const { report } = json(project({ "wrangler.jsonc": unsuppressed, "src/index.ts": plain }));
  assert.deepEqual(report.findings.map((f) => [f.rule, f.file, f.severity]), [["kv-backed-class", "wrangler.jsonc", "warning"]]);
});

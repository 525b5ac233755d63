// S8: `durable-core check` on a generated project of 1,000 files (about 100,000 lines), against
// `oxlint` with its default rules on the same files, in the same run. Both run as a user runs
// them (a process each, wall time, peak resident memory from GNU time). Node-side: no workerd.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { median, timeRatio } from "./estimate.mjs";

export const S8 = {
  id: "S8",
  title: "durable-core check on a generated 1,000-file project vs oxlint (default rules)",
  baseline: "oxlint",
  sizes: { full: { files: 1000, linesPerFile: 100 }, smoke: { files: 40, linesPerFile: 100 } },
  memoryLimitMb: 200,
  maxTimeRatio: 3,
};

/** A Durable Object class of about `lines` lines: storage, SQL, alarms, sockets, RPC. */
function objectFile(i, lines) {
  const out = [`import { DurableObject } from "cloudflare:workers";`, `import { helper${i}a } from "./util-${i}.js";`, ""];
  out.push(`export class Object${i} extends DurableObject<Env> {`);
  out.push(`  #count = 0;`, "");
  out.push(`  constructor(ctx: DurableObjectState, env: Env) {`, `    super(ctx, env);`);
  out.push(`    ctx.blockConcurrencyWhile(async () => {`, `      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)");`, `      this.#count = (await ctx.storage.get<number>("count")) ?? 0;`, `    });`, `  }`, "");
  let m = 0;
  while (out.length < lines - 3) {
    out.push(
      `  async method${m}(id: number, name: string): Promise<number> {`,
      `    const storage = this.ctx.storage;`,
      `    const rows = storage.sql.exec("SELECT id, name, n FROM items WHERE id > ? LIMIT 10", id).toArray();`,
      `    let total = 0;`,
      `    for (const row of rows) {`,
      `      if (typeof row.n === "number" && row.n > ${m}) total += row.n;`,
      `      else total -= 1;`,
      `    }`,
      `    storage.sql.exec("INSERT INTO items (name, n) VALUES (?, ?)", name, total);`,
      `    const current = await storage.getAlarm();`,
      `    if (current === null) await storage.setAlarm(Date.now() + ${1000 + m});`,
      `    this.#count += helper${i}a(total, ${m});`,
      `    await storage.put("count", this.#count);`,
      `    return total;`,
      `  }`,
      "",
    );
    m++;
  }
  out.push(`  async alarm(): Promise<void> {`, `    this.ctx.storage.sql.exec("DELETE FROM items WHERE n < 0");`, `  }`, `}`);
  return out.join("\n") + "\n";
}

/** A module of plain helpers of about `lines` lines. */
function utilFile(i, lines) {
  const out = [`// Helpers for object ${i}.`, ""];
  out.push(`export function helper${i}a(total: number, step: number): number {`, `  return total > step ? total - step : step - total;`, `}`, "");
  let f = 0;
  while (out.length < lines - 1) {
    out.push(
      `export function format${f}(items: readonly { name: string; n: number }[]): string {`,
      `  const parts: string[] = [];`,
      `  for (const item of items) {`,
      `    if (item.n > ${f}) parts.push(\`\${item.name}=\${item.n}\`);`,
      `    else if (item.n === ${f}) parts.push(item.name.toUpperCase());`,
      `    else parts.push("-");`,
      `  }`,
      `  const seen = new Map<string, number>();`,
      `  for (const p of parts) seen.set(p, (seen.get(p) ?? 0) + 1);`,
      `  return [...seen.entries()].map(([k, v]) => k + ":" + v).join(",");`,
      `}`,
      "",
    );
    f++;
  }
  return out.join("\n") + "\n";
}

/** Writes the project into `dir`: half objects, half helper modules, one entry importing all. */
export function generate(dir, { files, linesPerFile }) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "src"), { recursive: true });
  const objects = Math.floor((files - 1) / 2);
  const bindings = [];
  const entry = [];
  let lines = 0;
  for (let i = 0; i < objects; i++) {
    const obj = objectFile(i, linesPerFile);
    const util = utilFile(i, linesPerFile);
    writeFileSync(join(dir, "src", `object-${i}.ts`), obj);
    writeFileSync(join(dir, "src", `util-${i}.ts`), util);
    lines += obj.split("\n").length + util.split("\n").length;
    entry.push(`export { Object${i} } from "./object-${i}.js";`);
    bindings.push({ name: `OBJECT_${i}`, class_name: `Object${i}` });
  }
  // An odd count leaves one file over: a module of constants the entry re-exports.
  const extra = files - 1 - objects * 2;
  for (let i = 0; i < extra; i++) {
    const text = utilFile(`shared${i}`, linesPerFile);
    writeFileSync(join(dir, "src", `shared-${i}.ts`), text);
    lines += text.split("\n").length;
    entry.push(`export * from "./shared-${i}.js";`);
  }
  entry.push("", "export default {", "  async fetch(request: Request, env: Env): Promise<Response> {", "    return env.OBJECT_0.getByName(new URL(request.url).pathname).fetch(request);", "  },", "} satisfies ExportedHandler<Env>;", "");
  writeFileSync(join(dir, "src", "index.ts"), entry.join("\n"));
  lines += entry.length;
  const config = {
    name: "s8",
    main: "src/index.ts",
    compatibility_date: "2026-10-01",
    durable_objects: { bindings },
    migrations: [{ tag: "v1", new_sqlite_classes: bindings.map((b) => b.class_name) }],
  };
  writeFileSync(join(dir, "wrangler.jsonc"), JSON.stringify(config, null, 2));
  return { files: objects * 2 + 1 + extra, lines };
}

/** Runs `command` once under GNU time: wall milliseconds and peak resident memory in MB. */
function timed(command, args, cwd) {
  const r = spawnSync("/usr/bin/time", ["-f", "__TIME__ %e %M", command, ...args], { cwd, encoding: "utf8", maxBuffer: 1 << 28 });
  const line = r.stderr.split("\n").find((l) => l.startsWith("__TIME__"));
  if (!line) throw new Error(`${command} ${args.join(" ")} did not run: ${r.stderr.slice(-500)}`);
  const [, seconds, kb] = line.split(" ");
  return { ms: Number(seconds) * 1000, peakMb: Number(kb) / 1024, status: r.status, stdout: r.stdout };
}

/** Runs S8 and returns the scenario in run.mjs's report shape. */
export function runS8({ root, pkgDir, mode, rounds, warmup }) {
  const size = S8.sizes[mode];
  // Outside the repository (oxlint honours .gitignore, which ignores bench/.out/), and a fresh
  // directory per run, so that two checkouts benchmarking at once never share it.
  const dir = mkdtempSync(join(tmpdir(), "durable-core-bench-s8-"));
  const made = generate(dir, size);
  const cli = join(pkgDir, "cli", "durable-core.mjs");
  const oxlint = join(root, "node_modules", ".bin", "oxlint");
  const wasm = join(pkgDir, "cli", "wasm", "durable_core_check_bg.wasm");
  const sides = [
    { name: "oxlint", label: `oxlint ${oxlintVersion(root)} (default rules, native)`, run: () => timed(oxlint, ["src"], dir) },
    { name: "ours", label: "durable-core check (wasm, Node)", run: () => timed(process.execPath, [cli, "check", ".", "--format", "json"], dir) },
  ];
  const ready = existsSync(cli) && existsSync(wasm);
  const samples = { oxlint: [], ours: [] };
  const peaks = { oxlint: [], ours: [] };
  let ourFindings;
  process.stdout.write("S8: ");
  for (let round = -warmup; round < rounds; round++) {
    for (const side of sides) {
      if (side.name === "ours" && !ready) continue;
      const r = side.run();
      process.stdout.write(".");
      if (side.name === "oxlint") {
        const linted = /on (\d+) files/.exec(r.stdout)?.[1];
        if (Number(linted) !== made.files) throw new Error(`oxlint linted ${linted} files, not ${made.files}: ${r.stdout.slice(-300)}`);
      }
      if (side.name === "ours") {
        if (r.status !== 0 && r.status !== 1) throw new Error(`durable-core check exited ${r.status}`);
        ourFindings = JSON.parse(r.stdout);
        if (ourFindings.files.length !== made.files + 1) throw new Error(`durable-core check read ${ourFindings.files.length} files, not ${made.files} and the configuration`);
      }
      if (round < 0) continue;
      samples[side.name].push(r.ms);
      peaks[side.name].push(r.peakMb);
    }
  }
  process.stdout.write("\n");
  rmSync(dir, { recursive: true, force: true });
  const rows = sides.map((side) => {
    if (side.name === "ours" && !ready) return { side: side.name, label: side.label, metric: "check", state: "not built" };
    const xs = samples[side.name];
    const m = median(xs);
    return { side: side.name, label: side.label, metric: "check", state: "ready", samples: xs, median: m, min: Math.min(...xs), max: Math.max(...xs), ratio: timeRatio(xs, samples.oxlint, true), ratioOfMedians: timeRatio(xs, samples.oxlint, false), info: { peakMb: Math.max(...peaks[side.name]) } };
  });
  const ours = rows.find((r) => r.side === "ours");
  const targets = [];
  const bytes = ready ? readFileSync(wasm) : undefined;
  if (ours?.median !== undefined) {
    const ratio = ours.ratio;
    targets.push({ text: `≤ ${S8.maxTimeRatio}× oxlint's time`, metric: "check", against: "oxlint", maxTimeRatio: S8.maxTimeRatio, status: ratio <= S8.maxTimeRatio ? "met" : "missed", measured: `time ratio ${ratio.toFixed(2)}` });
    const peak = ours.info.peakMb;
    targets.push({ text: `peak memory < ${S8.memoryLimitMb} MB`, metric: "check", against: "oxlint", status: peak < S8.memoryLimitMb ? "met" : "missed", measured: `${peak.toFixed(0)} MB` });
  } else targets.push({ text: `≤ ${S8.maxTimeRatio}× oxlint's time`, status: "not yet" });
  const notes = [
    `Project: ${made.files.toLocaleString("en-US")} files, ${made.lines.toLocaleString("en-US")} lines of TypeScript (half Durable Object classes with storage, SQL and alarm calls, half helper modules), generated by bench/s8-check.mjs; the entry re-exports every class, so the checker reaches every file from \`main\`, and oxlint is given \`src/\`.`,
    "Each sample is a whole process, as a user runs it: `node pkg/cli/durable-core.mjs check . --format json` (Node start, wasm compile, reading the files, every rule) and `oxlint src` (native, multi-threaded). Wall time and peak resident memory from GNU time.",
    `Peak resident memory: durable-core check ${ours?.info ? ours.info.peakMb.toFixed(0) : "—"} MB, oxlint ${Math.max(...peaks.oxlint).toFixed(0)} MB.`,
    bytes ? `Checker wasm (\`cli/wasm/durable_core_check_bg.wasm\`, CLI only, never in a Worker bundle): ${bytes.length.toLocaleString("en-US")} bytes raw, ${gzipSync(bytes, { level: 9 }).length.toLocaleString("en-US")} bytes gzipped (level 9).` : "Checker wasm: not built.",
    ourFindings ? `Findings on the generated project: ${ourFindings.errors} errors, ${ourFindings.warnings} warnings (it is written to be clean).` : "",
  ].filter(Boolean);
  return {
    id: S8.id,
    title: S8.title,
    baseline: S8.baseline,
    sizes: size,
    rounds: { warmup, rounds },
    metrics: [{ key: "check", label: `check ${made.files.toLocaleString("en-US")} files` }],
    notes,
    rows,
    targets,
  };
}

function oxlintVersion(root) {
  try {
    return JSON.parse(readFileSync(join(root, "node_modules", "oxlint", "package.json"), "utf8")).version;
  } catch {
    return "";
  }
}


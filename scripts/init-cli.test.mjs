// `durable-core init` as a user runs it, from the built package (pkg/): the options, the
// refusals and what the generated package.json depends on. Installing and testing each
// generated project is scripts/test-examples.sh's job.   run: node --test scripts/init-cli.test.mjs
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = process.env.DC_PKG ?? join(root, "pkg");
const bin = join(pkg, "cli/durable-core.mjs");
const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version;
const scratch = mkdtempSync(join(tmpdir(), "dc-init-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: scratch, encoding: "utf8" });
  return { code: result.status, out: result.stdout, err: result.stderr };
}
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

describe("durable-core", () => {
  it("prints its usage on --help and without a command, and exits 2 on an unknown command", () => {
    assert.match(run("--help").out, /usage: durable-core <command>/);
    assert.equal(run().code, 0);
    const unknown = run("deploy");
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command "deploy"/);
  });
});

describe("durable-core init", () => {
  it("lists the four templates with a description each", () => {
    const { code, out } = run("init", "--list");
    assert.equal(code, 0);
    const names = out.trim().split("\n").map((line) => line.split(/\s+/)[0]);
    assert.deepEqual(names, ["booking", "chat", "counter", "game"]);
    for (const line of out.trim().split("\n")) assert.ok(line.split(/\s{2,}/)[1]?.length > 10, line);
  });

  it("writes the counter template by default, depending on this exact version", () => {
    const { code, out } = run("init", "My App");
    assert.equal(code, 0, out);
    const dir = join(scratch, "My App");
    const project = readJson(join(dir, "package.json"));
    assert.equal(project.name, "my-app");
    assert.equal(project.dependencies["durable-core"], version);
    assert.match(readFileSync(join(dir, "wrangler.jsonc"), "utf8"), /"name": "my-app"/);
    assert.match(readFileSync(join(dir, "src/index.ts"), "utf8"), /class Counter extends DurableCore<Env>/);
    assert.ok(readdirSync(dir).includes(".gitignore"));
    assert.ok(!readdirSync(dir).includes("gitignore"));
  });

  it("gives every project the same pinned tools and scripts", () => {
    for (const template of ["booking", "chat", "counter", "game"]) {
      const dir = join(scratch, `same-${template}`);
      assert.equal(run("init", dir, "--template", template).code, 0);
      const project = readJson(join(dir, "package.json"));
      for (const tool of ["wrangler", "@cloudflare/vitest-plugin", "vitest", "typescript"]) {
        assert.match(project.devDependencies[tool], /^\d+\.\d+\.\d+$/, `${template}: ${tool} pinned exactly`);
      }
      assert.equal(project.scripts.check, "durable-core check");
      assert.match(project.scripts.test, /^npm run check && .*vitest run$/);
      assert.match(project.scripts.typecheck, /^wrangler types && tsc$/);
      const tsconfig = readFileSync(join(dir, "tsconfig.json"), "utf8");
      assert.match(tsconfig, /"noImplicitOverride": true/);
      assert.match(tsconfig, /"strict": true/);
      assert.match(readFileSync(join(dir, "wrangler.jsonc"), "utf8"), /"new_sqlite_classes"/);
      const major = Number(process.versions.node.split(".")[0]);
      assert.equal(project.devDependencies.node !== undefined, major < 22, "node@22 exactly when Node is older");
    }
  });

  it("refuses a directory that is not empty, and writes into it with --force", () => {
    const dir = join(scratch, "taken");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const refused = run("init", dir);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /is not empty.*--force/);
    assert.deepEqual(readdirSync(dir), ["notes.txt"]);
    assert.equal(run("init", dir, "--force", "--template", "game").code, 0);
    assert.equal(readFileSync(join(dir, "notes.txt"), "utf8"), "mine");
    assert.match(readFileSync(join(dir, "src/match.ts"), "utf8"), /class Match/);
  });

  it("writes --package as the dependency, a tarball path made absolute", () => {
    const tarball = join(scratch, "durable-core-9.9.9.tgz");
    writeFileSync(tarball, "");
    assert.equal(run("init", "from-tarball", "--package", "./durable-core-9.9.9.tgz").code, 0);
    assert.equal(readJson(join(scratch, "from-tarball/package.json")).dependencies["durable-core"], `file:${tarball}`);
    assert.equal(run("init", "from-range", "--package=^0.1.0").code, 0);
    assert.equal(readJson(join(scratch, "from-range/package.json")).dependencies["durable-core"], "^0.1.0");
  });

  it("refuses an unknown template, a missing directory and an unknown option", () => {
    const template = run("init", "x", "--template", "blog");
    assert.equal(template.code, 2);
    assert.match(template.err, /no template "blog".*booking, chat, counter, game/);
    assert.equal(run("init").code, 2);
    assert.equal(run("init", "y", "--templat", "chat").code, 2);
    assert.equal(run("init", "z", "--template").code, 2);
  });
});

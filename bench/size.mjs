// SIZE: what durable-core adds to a deploy. The published wasm (pkg/dist/wasm/, raw and
// gzipped) and the upload of the `counter` template built against the packed package, as
// `wrangler deploy --dry-run --outdir` prints it. Node-side: no workerd, nothing timed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

export const SIZE = {
  id: "SIZE",
  title: "size: the published wasm and a counter Worker's upload",
  template: "counter",
  // Issue 15's targets, read as decimal kilobytes.
  wasmGzipMax: 200_000,
  workerGzipMax: 250_000,
};

const metrics = [
  { key: "wasmGzip", label: "published wasm, gzipped (level 9)", unit: "bytes" },
  { key: "wasmRaw", label: "published wasm, raw", unit: "bytes" },
  { key: "workerGzip", label: "counter Worker upload, gzipped (wrangler)", unit: "bytes" },
  { key: "workerRaw", label: "counter Worker upload, total (wrangler)", unit: "bytes" },
];

function run(command, args, cwd, env = {}) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout).slice(-800)}`);
  return r.stdout;
}

/** `Total Upload: 812.45 KiB / gzip: 260.12 KiB` → bytes (to the 0.01 KiB wrangler prints). */
export function parseUpload(text) {
  const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(text);
  if (!m) return undefined;
  return { raw: Math.round(Number(m[1]) * 1024), gzip: Math.round(Number(m[2]) * 1024) };
}

/**
 * Packs pkg/, writes the template with `durable-core init` from the tarball (as a user does),
 * installs its one dependency (durable-core, from the tarball) and bundles it with the
 * workspace's wrangler (the template pins the same version).
 */
function workerUpload(root, pkgDir) {
  const tarball = run("bash", [join(root, "scripts", "pack.sh")], root).trim().split("\n").at(-1);
  const dir = mkdtempSync(join(tmpdir(), "durable-core-bench-size-"));
  try {
    run(process.execPath, [join(pkgDir, "cli", "durable-core.mjs"), "init", dir, "--template", SIZE.template, "--package", tarball, "--force"], root);
    run("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], dir);
    const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
    const out = run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", "dist"], dir, { WRANGLER_SEND_METRICS: "false" });
    const upload = parseUpload(out);
    if (!upload) throw new Error(`wrangler printed no upload size:\n${out.slice(-800)}`);
    const files = readdirSync(join(dir, "dist"))
      .filter((f) => !f.endsWith(".map") && statSync(join(dir, "dist", f)).isFile())
      .map((f) => ({ file: f, raw: statSync(join(dir, "dist", f)).size }));
    return { ...upload, files, tarball: relative(root, tarball) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(metric, value, label) {
  return { side: "ours", label, metric, state: "ready", samples: [value], median: value, min: value, max: value };
}

/** Runs SIZE and returns the scenario in run.mjs's report shape. */
export function runSize({ root, pkgDir }) {
  const wasm = join(pkgDir, "dist", "wasm", "durable_core_bg.wasm");
  const built = existsSync(wasm) && existsSync(join(pkgDir, "cli", "durable-core.mjs"));
  process.stdout.write("SIZE: ");
  const rows = [];
  const targets = [];
  const notes = [];
  if (!built) {
    for (const m of metrics) rows.push({ side: "ours", label: "durable-core", metric: m.key, state: "not built" });
    targets.push({ text: "wasm ≤ 200 KB gzipped", status: "not yet" }, { text: "Worker ≤ 250 KB gzipped", status: "not yet" });
  } else {
    const bytes = readFileSync(wasm);
    const gzip = gzipSync(bytes, { level: 9 }).length;
    rows.push(row("wasmGzip", gzip, `\`${relative(root, wasm)}\``), row("wasmRaw", bytes.length, `\`${relative(root, wasm)}\``));
    const upload = workerUpload(root, pkgDir);
    const label = `\`${SIZE.template}\` template`;
    rows.push(row("workerGzip", upload.gzip, label), row("workerRaw", upload.raw, label));
    const check = (metric, max, text) => {
      const value = rows.find((r) => r.metric === metric).median;
      targets.push({ text, metric, maxValue: max, status: value <= max ? "met" : "missed", measured: `${value.toLocaleString("en-US")} bytes` });
    };
    check("wasmGzip", SIZE.wasmGzipMax, "wasm ≤ 200 KB gzipped");
    check("workerGzip", SIZE.workerGzipMax, "Worker ≤ 250 KB gzipped");
    notes.push(
      "The wasm is the published build (`npm run build`: wasm-bindgen without the name and producers sections, then `wasm-opt -O3`); gzipped with Node's zlib at level 9. The breakdown is in docs/reports/wasm-size.md.",
      `The Worker: \`durable-core init --template ${SIZE.template}\` from the packed package (\`npm pack\` of pkg/), its dependencies installed, then \`wrangler deploy --dry-run --outdir dist\`; the figures are wrangler's "Total Upload" and "gzip" lines (KiB to two decimals, here in bytes). Files in the upload: ${upload.files.map((f) => `\`${f.file}\` ${f.raw.toLocaleString("en-US")} B`).join(", ")}.`,
    );
  }
  process.stdout.write(".\n");
  return {
    id: SIZE.id,
    title: SIZE.title,
    baseline: "ours",
    sizes: { template: SIZE.template },
    rounds: { warmup: 0, rounds: 1 },
    metrics,
    notes,
    rows,
    targets,
  };
}

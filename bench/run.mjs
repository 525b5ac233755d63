#!/usr/bin/env node
// Node driver of the benchmarks: starts the bench Worker in workerd (wrangler's test harness),
// asks it for one sample at a time, and writes the terminal table, bench/results.json and
// BENCHMARKS.md. See bench/README.md.
//
//   node bench/run.mjs [--smoke] [--rounds N] [--warmup N] [--only S1,S3] [--sides ours,raw] [--render]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestHarness } from "wrangler";
import { extraTime, median, timeRatio } from "./estimate.mjs";
import { runS8 } from "./s8-check.mjs";
import { seeded } from "./seeded.mjs";
import { runSize } from "./size.mjs";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
// BENCH_PKG_DIR points the durable-core rows at another build of the package (e.g. a test build).
const pkgDir = process.env.BENCH_PKG_DIR ? resolve(process.env.BENCH_PKG_DIR) : join(root, "pkg");
const pkgEntry = join(pkgDir, "dist", "workerd.js");
/** A sample that takes longer than this is a hang, reported as a harness error. */
const SAMPLE_TIMEOUT_MS = 120_000;

function parseArgs(argv) {
  const args = { smoke: false, rounds: undefined, warmup: undefined, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--smoke") args.smoke = true;
    else if (arg === "--rounds") args.rounds = Number(argv[++i]);
    else if (arg === "--warmup") args.warmup = Number(argv[++i]);
    else if (arg === "--only") args.only = argv[++i].toUpperCase().split(",");
    else if (arg === "--render") args.render = true;
    else if (arg === "--sides") args.sides = argv[++i].split(",");
    else throw new Error(`unknown argument ${arg} (use --smoke, --rounds N, --warmup N, --only S1,S3, --sides ours,raw, --render)`);
  }
  args.explicitRounds = args.rounds !== undefined;
  // Nine measured rounds: samples of a fresh object are bimodal on a shared machine (a GC or a
  // storage flush lands in some), and five left the median in whichever mode won.
  args.rounds ??= args.smoke ? 1 : 9;
  args.warmup ??= args.smoke ? 0 : 1;
  return args;
}

/** JSONC: strips // and /* *\/ comments outside strings. */
function parseJsonc(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2) + 1;
    } else out += c;
  }
  return JSON.parse(out);
}

function workerConfig() {
  const config = parseJsonc(readFileSync(join(benchDir, "wrangler.jsonc"), "utf8"));
  if (existsSync(pkgEntry)) {
    config.alias = { ...config.alias, "bench-ours": "./ours.ts", "durable-core": relative(benchDir, pkgEntry) };
  }
  return config;
}

function versionOf(name) {
  try {
    return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "not installed";
  }
}

/** Whether two sides of a scenario took their rounds in turn, so round i of each can be paired. */
const paired = (scenario, a, b) => !(scenario.isolatedSides ?? []).some((side) => side === a || side === b);

function summarize(scenario, sideRuns) {
  const rows = [];
  for (const metric of scenario.metrics) {
    const base = sideRuns.find((r) => r.name === scenario.baseline);
    const baseSamples = base && !base.failure ? base.samples.map((t) => t[metric.key]) : [];
    for (const run of sideRuns) {
      const row = { side: run.name, label: run.label ?? run.name, metric: metric.key, state: run.state };
      if (run.state !== "ready") {
        rows.push(row);
        continue;
      }
      if (!run.metrics.includes(metric.key)) {
        rows.push({ ...row, state: "n/a" });
        continue;
      }
      if (run.failure) {
        rows.push({ ...row, state: "failed", failure: run.failure, info: run.info });
        continue;
      }
      const xs = run.samples.map((t) => t[metric.key]);
      const m = median(xs);
      rows.push({
        ...row,
        samples: xs,
        median: m,
        min: Math.min(...xs),
        max: Math.max(...xs),
        ratio: timeRatio(xs, baseSamples, paired(scenario, run.name, scenario.baseline)),
        ratioOfMedians: timeRatio(xs, baseSamples, false),
        info: run.info,
      });
    }
  }
  return rows;
}

function evaluateTargets(scenario, rows) {
  return scenario.targets.map((t) => {
    const ours = rows.find((r) => r.side === "ours" && r.metric === t.metric);
    const other = rows.find((r) => r.side === t.against && r.metric === t.metric);
    if (!ours || ours.median === undefined) return { ...t, status: "not yet" };
    if (t.maxValue !== undefined) {
      const unit = scenario.metrics.find((m) => m.key === t.metric)?.unit;
      return { ...t, status: ours.median <= t.maxValue ? "met" : "missed", measured: `${fmt(ours.median, unit)}${unit === "bytes" ? " bytes" : " ms"}` };
    }
    if (!other || other.median === undefined) return { ...t, status: `no ${t.against} figure` };
    const pairs = paired(scenario, "ours", t.against);
    const ratio = timeRatio(ours.samples, other.samples, pairs);
    const extra = extraTime(ours.samples, other.samples, pairs);
    const met = t.maxTimeRatio !== undefined ? (t.strict ? ratio < t.maxTimeRatio : ratio <= t.maxTimeRatio) : extra <= t.maxExtraMs;
    // A 0 ms baseline (smoke sizes) leaves an infinite or undefined ratio: printed as it is.
    const measured = t.maxTimeRatio !== undefined ? `time ratio ${ratio?.toFixed(t.strict ? 3 : 2)}` : `${extra?.toFixed(3)} ms more`;
    return { ...t, status: met ? "met" : "missed", measured };
  });
}

/** A figure in its metric's unit: milliseconds to 3 significant digits, bytes whole. */
function fmt(value, unit) {
  if (value === undefined) return "";
  if (unit === "bytes") return Math.round(value).toLocaleString("en-US");
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

const unitOf = (scenario, metricKey) => scenario.metrics.find((m) => m.key === metricKey)?.unit ?? "ms";
/** Bytes are absolute figures: a ratio to a baseline says nothing there. */
const isTimed = (scenario) => scenario.metrics.some((m) => unitOf(scenario, m.key) === "ms");

const times = (ratio, unit) => (ratio === undefined || unit === "bytes" ? "" : `${ratio.toFixed(2)}×`);

function cell(row, unit) {
  switch (row.state) {
    case "not yet":
      return { median: "not yet", range: "", ratio: "", ratioOfMedians: "" };
    case "not built":
      return { median: "not yet (pkg/ not built)", range: "", ratio: "", ratioOfMedians: "" };
    case "n/a":
      return { median: "n/a", range: "", ratio: "", ratioOfMedians: "" };
    case "skipped":
      return { median: "skipped (--sides)", range: "", ratio: "", ratioOfMedians: "" };
    case "failed":
      return { median: `FAILED: ${row.failure}`, range: "", ratio: "", ratioOfMedians: "" };
    default:
      return {
        median: fmt(row.median, unit),
        range: `${fmt(row.min, unit)}–${fmt(row.max, unit)}`,
        ratio: times(row.ratio, unit),
        ratioOfMedians: times(row.ratioOfMedians, unit),
      };
  }
}

function printScenario(scenario, rows, targets) {
  console.log(`\n${scenario.id} — ${scenario.title}   (baseline: ${scenario.baseline})`);
  for (const metric of scenario.metrics) {
    console.log(`  ${metric.label}`);
    for (const row of rows.filter((r) => r.metric === metric.key)) {
      const c = cell(row, metric.unit);
      const both = c.ratio && c.ratioOfMedians !== c.ratio ? `${c.ratio} (ratio of medians ${c.ratioOfMedians})` : c.ratio;
      console.log(`    ${row.label.padEnd(50)} ${c.median.padStart(9)}  ${c.range.padEnd(14)} ${both}`);
    }
  }
  for (const t of targets) console.log(`  target ${t.text}: ${t.status}${t.measured ? ` (${t.measured})` : ""}`);
}

function markdownScenario(scenario) {
  const { rows, targets } = scenario;
  const lines = [`### ${scenario.id} — ${scenario.title}`, ""];
  lines.push(
    `Baseline: \`${scenario.baseline}\`. Sizes: \`${JSON.stringify(scenario.sizes)}\`. Rounds: ${scenario.rounds.warmup} warm-up + ${scenario.rounds.rounds} measured.${(scenario.batches ?? 1) > 1 ? ` Each sample is the mean of ${scenario.batches} fresh objects.` : ""}`,
    "",
  );
  if (isTimed(scenario)) lines.push("| measure | side | median ms | min–max ms | time ratio vs baseline | ratio of medians |", "|---|---|---:|---:|---:|---:|");
  else lines.push("| measure | side | median bytes | min–max bytes |", "|---|---|---:|---:|");
  for (const metric of scenario.metrics) {
    for (const row of rows.filter((r) => r.metric === metric.key)) {
      const c = cell(row, metric.unit);
      lines.push(`| ${metric.label} | ${row.label} | ${c.median} | ${c.range} |${isTimed(scenario) ? ` ${c.ratio} | ${c.ratioOfMedians} |` : ""}`);
    }
  }
  lines.push("");
  if (targets.length) {
    lines.push("Targets for durable-core: " + targets.map((t) => `${t.text} — **${t.status}**${t.measured ? ` (${t.measured})` : ""}`).join("; ") + ".", "");
  }
  for (const note of scenario.notes) lines.push(note, "");
  return lines.join("\n");
}

function shortCell(row, unit) {
  const c = cell(row, unit);
  if (row.median === undefined) return c.median;
  return unit === "bytes" ? `${c.median} bytes` : `${c.median} ms (${c.ratio})`;
}

/** One line per scenario and measure: baseline, durable-core, then everything else. */
function glance(report) {
  const lines = [];
  for (const scenario of report.scenarios) {
    for (const metric of scenario.metrics) {
      const rows = scenario.rows.filter((r) => r.metric === metric.key);
      const base = rows.find((r) => r.side === scenario.baseline);
      const ours = rows.find((r) => r.side === "ours");
      const others = rows.filter((r) => r !== base && r !== ours && r.state !== "n/a");
      const unit = metric.unit;
      // A scenario whose baseline is durable-core itself (S7, SIZE) has no other baseline.
      const baseText = base && base !== ours ? `${base.label}: ${shortCell(base, unit)}` : "";
      const othersText = others.map((r) => `${r.label}: ${shortCell(r, unit)}`).join("<br>");
      lines.push(`| ${scenario.id} | ${metric.label} | ${baseText} | ${ours ? shortCell(ours, unit) : ""} | ${othersText} |`);
    }
  }
  return lines.join("\n");
}

function markdown(report) {
  const v = report.versions;
  const sections = report.scenarios.map((scenario) => markdownScenario(scenario));
  return `# Benchmarks

Generated by \`npm run bench\` on ${report.date}. Do not edit by hand: rerun the bench.

- Machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.platform}; Node ${report.machine.node}; load average (1/5/15 min) ${report.machine.loadAverageAtStart.join(" / ")} at the start, ${report.machine.loadAverageAtEnd.join(" / ")} at the end (the machine is shared: other work inflates absolute times and widens min–max).
- Runtime: workerd ${v.workerd} through wrangler ${v.wrangler} (\`createTestHarness\`), compatibility date ${report.compatibilityDate}.
- Peers: agents ${v.agents}, partyserver ${v.partyserver}, @cloudflare/actors ${v["@cloudflare/actors"]}, durable-utils ${v["durable-utils"]}.
- durable-core: ${report.oursAvailable ? "built package from pkg/" : "pkg/ not built: every ours row says \"not yet\""}.
- Rounds: ${report.warmup} warm-up + ${report.rounds} measured per side unless a scenario says otherwise; sides interleaved in each round, in an order shuffled per round; each sample in a fresh object, or the mean of several where a scenario says so. Run took ${report.durationSeconds} s.

## How to reproduce

\`\`\`sh
npm install
npm run build                        # builds pkg/; only the durable-core rows need it
npm run bench                        # full run: writes this file and bench/results.json (13–25 min, by machine)
bash scripts/bench.sh --smoke        # tiny sizes, same code paths, writes bench/.out/ only (npm test runs it)
bash scripts/bench.sh --only S3 --rounds 3 --sides ours,raw   # part of a run, writes bench/.out/ only
bash scripts/bench.sh --render       # rewrite this file from bench/results.json
bash scripts/bench.sh --only S8      # S8 alone (Node, no workerd): replaces its entry here
\`\`\`

The machine is shared and has few cores: close other work before a full run, and compare
ratios, not absolute times, across machines.

## How to read it

- Every time is measured inside the Durable Object with \`performance.now()\` (1 ms resolution in
  local workerd) around the whole operation, so each sample lasts 20 ms or more where it can.
  That clock still puts a 20–30 ms sample's ratios on a grid of 3–5%, so S1, S4 and S5 (targets
  within 10% of the baseline) take the mean of several fresh objects per sample, each doing the
  row's work once (the scenario's Rounds line says how many).
  S6 is timed by the calling Worker, because a cold start cannot be timed from inside. S8 runs
  no Worker: it times two command-line processes (\`durable-core check\` and \`oxlint\`) in Node.
- S7 and SIZE count bytes, not time: S7 reads \`engineStats()\` inside workerd (each sample in a
  workerd of its own, so the wasm instance starts empty); SIZE measures the published wasm and
  the upload \`wrangler deploy --dry-run\` prints for the \`counter\` template built from the
  packed package. Their targets are absolute bounds.
- **median** and **min–max** are over the measured rounds (warm-up excluded), in milliseconds
  for the whole operation named in the row (for S3, per 20 messages to every connection; for
  the S5 IN list, per query).
- **time ratio** = the median over the measured rounds of (side's time ÷ the baseline's time in
  the same round), for the same measure. Sides run in turn within a round, in an order
  shuffled per round, so the two samples of a round met the same load; the machine's load drifts
  between rounds, and this figure moves less with it than a ratio of medians
  (bench/estimate.mjs, docs/reports/bench-rounds.md).
  A side run apart from the others (S6's agents) is compared by the ratio of medians. Below 1
  is faster than the baseline. A throughput ratio is its inverse: "5× agents' throughput"
  means a time ratio ≤ 0.2 against agents.
- **ratio of medians** = side's median time ÷ the baseline's median time, shown beside it.
- **FAILED** is what a side did instead of finishing (for example tasks that never fired);
  it is a result about that library, not a time. **n/a**: the side has no such operation.
  **not yet**: the durable-core capability has not landed (or pkg/ was not built).
- Targets (from the capability issues) are checked against the same run, with the time ratio
  (or, for a bound in milliseconds, the median of the per-round differences).

## At a glance

Median time of each side and its time ratio to the scenario's baseline (below 1× is faster); S7 and SIZE are bytes.

| scenario | measure | baseline | durable-core | peers and other sides |
|---|---|---|---|---|
${glance(report)}

## Results

${sections.join("\n")}
`;
}

/**
 * The sides of `group` in the order they take in round `round` of `scenario`: shuffled, from a
 * seed made of the two, so that no side always runs first or always right after the same other
 * side (into the garbage that side's objects left), and a rerun takes the same orders. A
 * rotation by one would keep each side's predecessor in most rounds once there are three sides.
 */
function inTurn(group, scenario, round) {
  const order = [...group];
  const random = seeded(hash(`${scenario}/${round}`));
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A 32-bit FNV-1a hash of `text`: the seed of {@link inTurn}'s shuffle. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Runs one sample of one side; returns the number of harness errors it met (0 or 1). */
async function sampleOnce(server, scenario, run, { mode, round, runId }) {
  const query = new URLSearchParams({ scenario: scenario.id, side: run.name, mode, name: `${scenario.id}/${run.name}/${runId}/${round}` });
  let body;
  try {
    const timeout = scenario.sampleTimeoutMs ?? SAMPLE_TIMEOUT_MS;
    const response = await server.fetch(`/sample?${query}`, { signal: AbortSignal.timeout(timeout) });
    body = await response.json();
  } catch (error) {
    // The runtime crashed or hung: later samples would only time out one by one.
    for (const log of server.getLogs().slice(-20)) console.error(`  workerd: ${JSON.stringify(log)}`);
    throw new Error(`${scenario.id}/${run.name}: workerd stopped answering (${error?.message ?? error}); rerun the bench`);
  }
  if (!body.ok) {
    run.failure = `harness error: ${body.error.split("\n")[0]}`;
    console.error(`\n${scenario.id}/${run.name}: ${body.error}`);
    for (const log of server.getLogs().slice(-20)) console.error(`  workerd: ${JSON.stringify(log)}`);
    return 1;
  }
  process.stdout.write(".");
  run.info = body.info;
  if (body.failure) {
    run.failure = body.failure;
    if (run.name === scenario.baseline) {
      console.error(`\n${scenario.id}: the baseline failed: ${body.failure}`);
      return 1;
    }
  } else if (round >= 0) run.samples.push(body.timings);
  return 0;
}

/**
 * `--only S8`: S8 runs in Node (no workerd), so it can be measured alone. A full measurement
 * replaces the S8 entry of bench/results.json and rewrites BENCHMARKS.md from it, leaving every
 * other scenario's figures as the last full run left them; a smoke run writes bench/.out/ only.
 */
function onlyS8(args, mode) {
  const scenario = runS8({ root, pkgDir, mode, rounds: args.rounds, warmup: args.warmup });
  printScenario(scenario, scenario.rows, scenario.targets);
  const outDir = join(benchDir, ".out");
  mkdirSync(outDir, { recursive: true });
  if (mode === "smoke") {
    writeFileSync(join(outDir, "results.s8-smoke.json"), JSON.stringify(scenario, null, 2) + "\n");
    console.log("\nwrote bench/.out/results.s8-smoke.json (smoke runs leave BENCHMARKS.md alone)");
    return;
  }
  const report = JSON.parse(readFileSync(join(benchDir, "results.json"), "utf8"));
  scenario.date = new Date().toISOString();
  scenario.notes.push(`Measured on ${scenario.date} with \`node bench/run.mjs --only S8\` (load average ${os.loadavg().map((l) => l.toFixed(2)).join(" / ")}); the other scenarios are from the full run above.`);
  report.scenarios = [...report.scenarios.filter((s) => s.id !== "S8"), scenario].sort((a, b) => a.id.localeCompare(b.id));
  writeFileSync(join(benchDir, "results.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(root, "BENCHMARKS.md"), markdown(report));
  console.log("\nwrote S8 into bench/results.json and BENCHMARKS.md");
}

/** Rewrites BENCHMARKS.md from bench/results.json, e.g. after a change to its wording. */
function render() {
  const report = JSON.parse(readFileSync(join(benchDir, "results.json"), "utf8"));
  writeFileSync(join(root, "BENCHMARKS.md"), markdown(report));
  console.log("rewrote BENCHMARKS.md from bench/results.json");
}

async function main() {
  // The bench never reads request.cf: skip miniflare's fetch of it (it fails offline, noisily).
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  const args = parseArgs(process.argv.slice(2));
  if (args.render) return render();
  const mode = args.smoke ? "smoke" : "full";
  if (args.only?.length === 1 && args.only[0] === "S8") return onlyS8(args, mode);
  const config = workerConfig();
  const started = Date.now();
  const server = createTestHarness({ root: benchDir, workers: [{ config }] });
  let harnessErrors = 0;
  const report = {
    date: new Date().toISOString(),
    mode,
    rounds: args.rounds,
    warmup: args.warmup,
    compatibilityDate: config.compatibility_date,
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? "unknown",
      platform: `${os.platform()} ${os.arch()}`,
      node: process.versions.node,
      loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    },
    versions: Object.fromEntries(
      ["agents", "partyserver", "@cloudflare/actors", "durable-utils", "wrangler", "miniflare", "workerd"].map((n) => [n, versionOf(n)]),
    ),
    scenarios: [],
  };
  try {
    await server.listen();
    const info = await (await server.fetch("/info")).json();
    report.oursAvailable = info.oursAvailable;
    const runId = started.toString(36);
    const order = [...info.scenarios.filter((s) => s.runFirst), ...info.scenarios.filter((s) => !s.runFirst)];
    for (const scenario of order) {
      if (args.only ? !args.only.includes(scenario.id) : scenario.probeOnly) continue;
      scenario.size = scenario.sizes[mode];
      const runs = scenario.sides.map((s) => ({
        ...s,
        state: s.state === "ready" && args.sides && !args.sides.includes(s.name) ? "skipped" : s.state,
        samples: [],
        info: undefined,
        failure: undefined,
      }));
      const ready = runs.filter((r) => r.state === "ready");
      const useScenarioRounds = mode === "full" && scenario.fullRounds && !args.explicitRounds;
      const { warmup, rounds } = useScenarioRounds ? scenario.fullRounds : args;
      scenario.rounds = { warmup, rounds };
      process.stdout.write(`${scenario.id}: `);
      // Sides run in turn within each round, in an order shuffled per round; an isolated side runs
      // all its rounds after the others, so background work its objects leave behind cannot
      // slow the others' samples.
      const isolated = scenario.isolatedSides ?? [];
      const groups = [ready.filter((r) => !isolated.includes(r.name)), ...ready.filter((r) => isolated.includes(r.name)).map((r) => [r])];
      for (const group of groups) {
        for (let round = -warmup; round < rounds; round++) {
          for (const run of inTurn(group, scenario.id, round)) {
            if (run.failure) continue;
            if (!scenario.freshIsolate) {
              harnessErrors += await sampleOnce(server, scenario, run, { mode, round, runId });
              continue;
            }
            const own = createTestHarness({ root: benchDir, workers: [{ config }] });
            try {
              await own.listen();
              harnessErrors += await sampleOnce(own, scenario, run, { mode, round, runId });
            } finally {
              await own.close();
            }
          }
        }
      }
      process.stdout.write("\n");
      const rows = summarize(scenario, runs);
      const targets = evaluateTargets(scenario, rows);
      printScenario(scenario, rows, targets);
      report.scenarios.push({
        id: scenario.id,
        title: scenario.title,
        baseline: scenario.baseline,
        sizes: scenario.size,
        rounds: scenario.rounds,
        batches: scenario.batches,
        isolatedSides: scenario.isolatedSides,
        metrics: scenario.metrics,
        notes: scenario.notes,
        rows,
        targets,
      });
    }
    if (!args.only || args.only.includes("S8")) {
      report.scenarios.push(runS8({ root, pkgDir, mode, rounds: args.rounds, warmup: args.warmup }));
      printScenario(report.scenarios.at(-1), report.scenarios.at(-1).rows, report.scenarios.at(-1).targets);
    }
    if (!args.only || args.only.includes("SIZE")) {
      report.scenarios.push(runSize({ root, pkgDir }));
      printScenario(report.scenarios.at(-1), report.scenarios.at(-1).rows, report.scenarios.at(-1).targets);
    }
    report.scenarios.sort((a, b) => a.id.localeCompare(b.id));
    report.durationSeconds = Math.round((Date.now() - started) / 1000);
    report.machine.loadAverageAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
    const outDir = join(benchDir, ".out");
    mkdirSync(outDir, { recursive: true });
    if (mode === "full" && !args.only && !args.sides) {
      writeFileSync(join(benchDir, "results.json"), JSON.stringify(report, null, 2) + "\n");
      writeFileSync(join(root, "BENCHMARKS.md"), markdown(report));
      console.log(`\nwrote bench/results.json and BENCHMARKS.md in ${report.durationSeconds} s`);
    } else {
      writeFileSync(join(outDir, `results.${mode}.json`), JSON.stringify(report, null, 2) + "\n");
      writeFileSync(join(outDir, `BENCHMARKS.${mode}.md`), markdown(report));
      console.log(`\nwrote bench/.out/results.${mode}.json in ${report.durationSeconds} s (partial or smoke runs leave BENCHMARKS.md alone)`);
    }
  } finally {
    await server.close();
  }
  if (harnessErrors > 0) {
    console.error(`${harnessErrors} harness error(s)`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

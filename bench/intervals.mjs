// How sure one run's time ratios are: for every timed side of every scenario in a results file,
// the median of its per-round ratios to the baseline (the figure BENCHMARKS.md reports) and a
// bootstrap 90% interval of that median: 2,000 resamples of the run's rounds, seeded, so a
// rerun prints the same. The intervals in docs/reports/bench-rounds.md come from here.
// Round i of one side is paired with round i of the other, as run.mjs pairs them. A side that
// ran apart from the others (S6's agents, `isolatedSides`) has no such pairs: it is skipped
// where the results file records it (runs after 470dd76), and printed, meaning nothing, in
// older files.
//   node bench/intervals.mjs [results.json]                 (default: bench/results.json)
//   node bench/intervals.mjs results.json S3 ours actors    (one side against another, per round)
import { readFileSync } from "node:fs";
import { median, perRoundFigures } from "./estimate.mjs";
import { seeded } from "./seeded.mjs";

const RESAMPLES = 2000;
const [fileArg, onlyScenario, onlySide, against] = process.argv.slice(2);
const file = fileArg ?? new URL("./results.json", import.meta.url).pathname;
const report = JSON.parse(readFileSync(file, "utf8"));

/** The 5th and 95th percentiles of the median over resamples of `ratios`. */
function interval(ratios) {
  const random = seeded(7);
  const medians = [];
  for (let k = 0; k < RESAMPLES; k++) {
    medians.push(median(Array.from(ratios, () => ratios[Math.floor(random() * ratios.length)])));
  }
  medians.sort((a, b) => a - b);
  return [medians[Math.floor(RESAMPLES * 0.05)], medians[Math.floor(RESAMPLES * 0.95)]];
}

for (const scenario of report.scenarios) {
  if (onlyScenario !== undefined && scenario.id !== onlyScenario) continue;
  const baseline = against ?? scenario.baseline;
  for (const row of scenario.rows ?? []) {
    if (!row.samples || row.side === baseline || (onlySide !== undefined && row.side !== onlySide)) continue;
    if ((scenario.isolatedSides ?? []).some((side) => side === row.side || side === baseline)) continue;
    const base = scenario.rows.find((r) => r.side === baseline && r.metric === row.metric);
    if (!base?.samples) continue;
    const ratios = perRoundFigures(row.samples, base.samples, (x, y) => x / y);
    if (ratios.length === 0) continue;
    const [low, high] = interval(ratios);
    const f = (x) => x.toFixed(3);
    console.log(`${scenario.id} ${row.metric} ${row.side} ÷ ${baseline}: ${f(median(ratios))} (${f(low)}–${f(high)}), ${ratios.length} rounds`);
  }
}

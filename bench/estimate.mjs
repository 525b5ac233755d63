// How the bench turns samples into the figures it reports. One module, so the workerd
// scenarios (run.mjs) and S8 (s8-check.mjs) compare sides the same way.
//
// A time ratio is the median of the per-round ratios, not the ratio of the two medians. Sides
// run in turn within a round, so a round's two samples were taken seconds apart, under the same
// load; samples of one side in different rounds were not. On this shared machine the load
// drifts from round to round, and the ratio of medians moved with it: six short runs of the
// same build (docs/reports/bench-rounds.md) gave S1 0.86–1.14× raw as a ratio of medians and
// 0.93–1.10× as a median of per-round ratios; the per-round spread was about half in six of
// seven rows and the same in the seventh (S4 scans). A side whose rounds were not run beside
// the baseline's (a scenario's `isolatedSides`) has no such pairs and falls back to the ratio
// of medians.

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The values `f(x, y)` of the rounds where both sample lists have a figure. */
function perRound(xs, ys, f) {
  const out = [];
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    if (xs[i] === undefined || ys[i] === undefined) continue;
    const v = f(xs[i], ys[i]);
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

/**
 * `xs` against `ys` as a time ratio. Both lists are indexed by round; `paired` says whether
 * round i of one ran beside round i of the other. Rounds where the baseline took 0 ms (a smoke
 * size under the timer's 1 ms resolution) give no ratio; with none left, the medians decide.
 */
export function timeRatio(xs, ys, paired) {
  const ratios = paired ? perRound(xs, ys, (x, y) => x / y) : [];
  if (ratios.length) return median(ratios);
  const a = xs.filter((v) => v !== undefined);
  const b = ys.filter((v) => v !== undefined);
  return a.length && b.length ? median(a) / median(b) : undefined;
}

/** How many milliseconds more `xs` takes than `ys`: the median of per-round differences when paired. */
export function extraTime(xs, ys, paired) {
  const differences = paired ? perRound(xs, ys, (x, y) => x - y) : [];
  if (differences.length) return median(differences);
  const a = xs.filter((v) => v !== undefined);
  const b = ys.filter((v) => v !== undefined);
  return a.length && b.length ? median(a) - median(b) : undefined;
}

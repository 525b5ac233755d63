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

/**
 * `f` of `xs` against `ys`, both indexed by round: the median of `f` over the rounds where both
 * have a finite figure when `paired` (round i of one ran beside round i of the other), else `f`
 * of the two medians. A round whose baseline took 0 ms (a smoke size under the timer's 1 ms
 * resolution) gives no ratio; with no round left, the medians decide.
 */
function compare(xs, ys, paired, f) {
  const perRound = paired ? perRoundFigures(xs, ys, f) : [];
  if (perRound.length) return median(perRound);
  const a = xs.filter((v) => v !== undefined);
  const b = ys.filter((v) => v !== undefined);
  return a.length && b.length ? f(median(a), median(b)) : undefined;
}

/** `f` of round i of `xs` and round i of `ys`, for the rounds where both give a finite figure. */
export function perRoundFigures(xs, ys, f) {
  const figures = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const v = xs[i] === undefined || ys[i] === undefined ? undefined : f(xs[i], ys[i]);
    if (Number.isFinite(v)) figures.push(v);
  }
  return figures;
}

/** `xs` against `ys` as a time ratio. */
export const timeRatio = (xs, ys, paired) => compare(xs, ys, paired, (x, y) => x / y);

/** How many milliseconds more `xs` takes than `ys`. */
export const extraTime = (xs, ys, paired) => compare(xs, ys, paired, (x, y) => x - y);

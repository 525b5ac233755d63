// The probes' paired blocks: the variants of one measurement take turns in one object, block by
// block, so that load that comes and goes on a shared machine slows them all alike. A probe's
// ratios are medians over the blocks of (a variant's block time / the block of the variant it is
// compared with, beside it in the same round). Used by S4P and S5P.

/** One variant's block `b`; returns a count (rows, entries) that the caller may check. */
export type Block = (b: number) => number;

export interface Turns<K extends string> {
  /** Each variant's time over all its blocks (ms). */
  spent: Record<K, number>;
  /** Each round's block time per variant (ms), in round order. */
  rounds: Record<K, number>[];
  /** The sum of what every block returned. */
  returned: number;
}

/**
 * Runs `blocks` rounds of one block of every variant, in the order of `variants`' keys rotated
 * by one per round (round `b` starts with the key at `b` modulo their count).
 */
export function takingTurns<K extends string>(variants: Record<K, Block>, blocks: number): Turns<K> {
  const names = Object.keys(variants) as K[];
  const spent = {} as Record<K, number>;
  for (const n of names) spent[n] = 0;
  const rounds: Record<K, number>[] = [];
  let returned = 0;
  for (let b = 0; b < blocks; b++) {
    const time = {} as Record<K, number>;
    for (let k = 0; k < names.length; k++) {
      const n = names[(b + k) % names.length]!;
      const start = performance.now();
      returned += variants[n](b);
      time[n] = performance.now() - start;
      spent[n] += time[n];
    }
    rounds.push(time);
  }
  return { spent, rounds, returned };
}

/** The median of `xs`; 0 when empty (smoke sizes time nothing measurable). */
function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/**
 * The median over the rounds of `variant`'s block time / `against`'s, leaving out the rounds in
 * which `against` took no measurable time (workerd's clock steps by 1 ms).
 */
export function medianRatio<K extends string>(turns: Turns<K>, variant: K, against: K): number {
  return median(turns.rounds.filter((time) => time[against] > 0).map((time) => time[variant] / time[against]));
}

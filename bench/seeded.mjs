// The bench's one pseudo-random generator (mulberry32), shared by the Worker's scenarios
// (through harness.ts) and the Node driver (run.mjs, for the sides' order in a round).

/** Deterministic pseudo-random numbers in [0, 1) from a 32-bit seed. */
export function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic pseudo-random numbers in [0, 1) from a 32-bit seed (mulberry32; bench/seeded.mjs). */
export function seeded(seed: number): () => number;

/**
 * Deterministic normal deviates (Box–Muller over a 32-bit LCG), so every test and benchmark run builds the same
 * descriptors and a failure reproduces.
 */
export function normalDeviates(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return (state + 1) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

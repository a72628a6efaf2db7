import { DESCRIPTOR_LENGTH } from '@visage/domain';

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

/**
 * Factor for a per-dimension deviation that was set for 128-float descriptors (0.065 between persons, 0.022 within
 * one): held descriptors are DESCRIPTOR_LENGTH long, and scaling by sqrt(128 / DESCRIPTOR_LENGTH) keeps the expected
 * distances — and so the thresholds the tests were tuned for — as they were.
 */
export const SPREAD = Math.sqrt(128 / DESCRIPTOR_LENGTH);

import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { normalDeviates } from '../libs/matcher/test/random-descriptors';

/**
 * Per-dimension spread scaled so that distances do not depend on the descriptor length (the deviations were set for
 * 128 floats; held descriptors are DESCRIPTOR_LENGTH long).
 */
const SPREAD = Math.sqrt(128 / DESCRIPTOR_LENGTH);

/**
 * face-api-like geometry: persons' centroids ~1.0 apart (per-dimension sd 0.065 at 128 floats), a person's faces
 * ~0.35 from their centroid (sd 0.022), so genuine pairs land near 0.4 and strangers near 1.0, like the labelled set.
 * Shared by the re-match and clustering benchmarks.
 */
export function makeDescriptors(seed: number): { centroid: (person: number) => Float32Array; around: (centroid: Float32Array) => Float32Array } {
  const gauss = normalDeviates(seed);
  const centroids = new Map<number, Float32Array>();
  return {
    centroid: (person) => {
      let centroid = centroids.get(person);
      if (!centroid) {
        centroid = Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => gauss() * 0.065 * SPREAD);
        centroids.set(person, centroid);
      }
      return centroid;
    },
    around: (centroid) => Float32Array.from(centroid, (value) => value + gauss() * 0.022 * SPREAD),
  };
}

import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { ClusterChanges, ClusterIndex, meanDescriptor } from './clustering';

/** A seeded pseudo-random generator (xorshift), so the synthetic people are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** A person: a random point with descriptors ~1.2 apart from other people's. */
function person(seed: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => (next() - 0.5) * 0.3);
}

/** A photo of `base`: moved by `spread` in euclidean distance, in a random direction. */
function photo(base: Float32Array, seed: number, spread: number): Float32Array {
  const next = random(seed);
  const direction = Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => next() - 0.5);
  const norm = Math.hypot(...direction);
  return base.map((value, index) => value + (direction[index] / norm) * spread);
}

const changes = (): ClusterChanges => ({ touched: new Set(), merged: new Map() });

describe('ClusterIndex', () => {
  it('groups the photos of each person together and never two people together', () => {
    const index = new ClusterIndex(0.55);
    const people = [1, 2, 3, 4, 5].map(person);
    const groupOf = new Map<number, number>();
    let faceId = 0;
    for (let round = 0; round < 6; round++) {
      for (const [who, base] of people.entries()) {
        const { clusterId } = index.add(++faceId, photo(base, faceId * 7919, 0.3));
        groupOf.set(faceId, clusterId * 10 + who); // remembers (group, person) pairs
      }
    }
    const pairs = [...groupOf.values()];
    const groups = new Set(pairs.map((pair) => Math.floor(pair / 10)));
    expect(groups.size).toBe(5);
    // Each group holds one person only.
    for (const group of groups) expect(new Set(pairs.filter((pair) => Math.floor(pair / 10) === group).map((pair) => pair % 10)).size).toBe(1);
    expect(index.all().map((cluster) => cluster.size)).toEqual([6, 6, 6, 6, 6]);
  });

  it('a face farther than the threshold from every group starts its own, named by the face id', () => {
    const index = new ClusterIndex(0.5);
    const first = person(1);
    expect(index.add(10, first)).toEqual({ clusterId: 10, created: true });
    expect(index.add(11, photo(first, 3, 0.2))).toEqual({ clusterId: 10, created: false });
    expect(index.add(12, person(2))).toEqual({ clusterId: 12, created: true });
    // The centroid is the running mean of the members.
    expect(Array.from(index.get(10)?.centroid ?? [])).toEqual(Array.from(meanDescriptor([first, photo(first, 3, 0.2)])).map((value) => expect.closeTo(value, 6)));
    expect(index.nearest(first)?.id).toBe(10);
  });

  it('merges two groups of one person that grew towards each other, keeping the larger one and ignored-ness', () => {
    const base = person(9);
    const left = photo(base, 1, 0.25);
    const right = base.map((value, index) => 2 * value - left[index]); // the mirror image: 0.5 from left
    const index = new ClusterIndex(0.45, [
      { id: 1, size: 3, centroid: left, ignored: false },
      { id: 2, size: 1, centroid: right, ignored: true },
      { id: 3, size: 2, centroid: person(10), ignored: false },
    ]);
    // 0.5 apart: not merged yet (every pair looked at).
    expect(index.merge().merged.size).toBe(0);
    // A face between them pulls the first group's centroid within reach of the second; only the groups the
    // faces touched are compared with the others.
    const added = changes();
    index.add(4, photo(base, 4, 0.05), added);
    index.add(5, photo(base, 5, 0.05), added);
    expect(added.touched).toEqual(new Set([1]));
    const result = index.merge(added);
    expect(result.merged).toEqual(new Map([[2, 1]]));
    expect(index.get(2)).toBeUndefined();
    expect(index.get(1)).toMatchObject({ size: 6, ignored: true });
    expect(index.get(3)).toMatchObject({ size: 2, ignored: false });
    expect(index.count).toBe(2);
  });

  it('keeps growing past its initial capacity', () => {
    const index = new ClusterIndex(0.1);
    for (let id = 1; id <= 3000; id++) index.add(id, person(id));
    expect(index.count).toBe(3000);
    expect(index.nearest(person(2999))).toEqual({ id: 2999, distance: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { ClusteredFace, ClusterIndex, ClusterSeed, isGroupable, MIN_GROUPED_FACE_PX } from './clustering';

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

/** A unit vector in a random direction. */
function direction(seed: number): Float32Array {
  const next = random(seed);
  const out = Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => next() - 0.5);
  const norm = Math.hypot(...out);
  return out.map((value) => value / norm);
}

/** A photo of `base`: moved by `spread` in euclidean distance, in a random direction. */
function photo(base: Float32Array, seed: number, spread: number): Float32Array {
  const towards = direction(seed);
  return base.map((value, index) => value + towards[index] * spread);
}

function distance(a: Float32Array, b: Float32Array): number {
  return Math.hypot(...a.map((value, index) => value - b[index]));
}

let nextFace = 0;
/** A face alone in its own image unless `imageId` is given. */
function face(descriptor: Float32Array, imageId?: number): ClusteredFace {
  const id = ++nextFace;
  return { id, imageId: imageId ?? 1_000_000 + id, descriptor };
}

/** The partition of the faces into groups, as sorted lists of face ids (for comparing two runs). */
function partition(index: ClusterIndex, faces: readonly ClusteredFace[]): number[][] {
  const groups = new Map<number, number[]>();
  for (const one of faces) {
    const group = index.groupOf(one.id);
    if (group !== undefined) groups.set(group, [...(groups.get(group) ?? []), one.id]);
  }
  return [...groups.values()].map((ids) => ids.sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]);
}

describe('ClusterIndex (average linkage with cannot-links)', () => {
  it('groups the photos of each person together and never two people together', () => {
    const index = new ClusterIndex(0.46);
    const people = [1, 2, 3, 4, 5].map(person);
    const faces: Array<ClusteredFace & { who: number }> = [];
    for (let round = 0; round < 6; round++) {
      for (const [who, base] of people.entries()) {
        const one = { ...face(photo(base, nextFace * 7919 + 1, 0.25)), who };
        index.add(one);
        faces.push(one);
      }
    }
    const groups = partition(index, faces);
    expect(groups).toHaveLength(5);
    for (const group of groups) expect(new Set(group.map((id) => faces.find((one) => one.id === id)?.who)).size).toBe(1);
    expect(index.all().map((cluster) => cluster.size)).toEqual([6, 6, 6, 6, 6]);
  });

  it('a face farther than the threshold from every group starts its own, numbered after every id in use', () => {
    const first = person(1);
    const seeded: ClusterSeed = { id: 40, ignored: false, members: [face(first)] };
    const index = new ClusterIndex(0.5, [seeded], 70);
    expect(index.add(face(photo(first, 3, 0.2)))).toEqual({ clusterId: 40, created: false });
    expect(index.add(face(person(2)))).toEqual({ clusterId: 71, created: true });
    expect(index.add(face(person(3)))).toEqual({ clusterId: 72, created: true });
    // The join rule is the mean distance to the members.
    const probe = photo(first, 5, 0.1);
    expect(index.linkage(probe, 40)).toBeCloseTo((distance(probe, first) + distance(probe, photo(first, 3, 0.2))) / 2, 5);
  });

  it('does not chain through a moving centroid: a line of look-alikes 0.3 apart never becomes one group', () => {
    // Each point is within the threshold of the one before, so a centroid that follows the group walks the whole
    // line (what chained 739 faces of hundreds of people into one group); members' mean distance does not.
    const base = person(11);
    const along = direction(12);
    const line = Array.from({ length: 12 }, (_, step) => face(base.map((value, k) => value + along[k] * 0.3 * step)));
    const index = new ClusterIndex(0.46);
    for (const one of line) index.add(one);
    const groups = partition(index, line);
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const group of groups) {
      const members = group.map((id) => line.find((one) => one.id === id) as ClusteredFace);
      for (const a of members) for (const b of members) expect(distance(a.descriptor, b.descriptor)).toBeLessThanOrEqual(0.6 + 1e-5);
    }
  });

  it('cannot-links: two faces of one image never share a group, nor do groups that share an image', () => {
    const ada = person(21);
    const index = new ClusterIndex(0.46);
    // Twins in one photo (identical descriptors): two groups.
    const left = face(ada, 500);
    const right = face(photo(ada, 1, 0.01), 500);
    index.add(left);
    expect(index.add(right).created).toBe(true);
    expect(index.groupOf(left.id)).not.toBe(index.groupOf(right.id));
    // More photos of them: each joins one of the two, and the two groups never merge.
    const more = [1, 2, 3, 4].map((seed) => face(photo(ada, 10 + seed, 0.15)));
    for (const one of more) index.add(one);
    expect(index.groupOf(left.id)).not.toBe(index.groupOf(right.id));
    for (const cluster of index.all()) expect(cluster.size).toBeGreaterThan(0);
  });

  it('a face split off a group never joins it again, nor merges into it through its new group', () => {
    const bob = person(31);
    const members = [1, 2, 3].map((seed) => face(photo(bob, seed, 0.15)));
    const split = face(photo(bob, 4, 0.15));
    const index = new ClusterIndex(0.46, [{ id: 7, ignored: false, members, excluded: [split.id] }], 7);
    // The review said "not the same person": it starts a group of its own although it looks like the group.
    expect(index.add(split)).toEqual({ clusterId: 8, created: true });
    // A photo that fits both would merge them; the cannot-link keeps them apart.
    const between = face(photo(bob, 5, 0.05));
    index.add(between);
    expect(index.groupOf(split.id)).not.toBe(index.groupOf(members[0].id));
    expect(index.count).toBe(2);
  });

  it('merges two groups of one person once photos between them bring them within the threshold', () => {
    const carol = person(41);
    const along = direction(42);
    const at = (offset: number) => carol.map((value, k) => value + along[k] * offset);
    const index = new ClusterIndex(0.46);
    const left = face(at(-0.3));
    const right = face(at(0.3));
    index.add(left);
    index.add(right);
    expect(index.count).toBe(2);
    for (const offset of [-0.15, 0.15, -0.05, 0.05]) index.add(face(at(offset)));
    expect(index.count).toBe(1);
    const changes = index.takeChanges();
    expect(changes.merged.size).toBe(1);
    expect([...changes.touched]).toEqual([index.groupOf(left.id)]);
  });

  it('incremental equals batch: grouping in runs with the groups reloaded between them gives the same groups', () => {
    const people = Array.from({ length: 40 }, (_, who) => person(100 + who));
    const order = random(5);
    const faces = Array.from({ length: 400 }, (_, n) => face(photo(people[Math.floor(order() * people.length)], 1000 + n, 0.12 + order() * 0.2)));
    const batch = new ClusterIndex(0.46);
    for (const one of faces) batch.add(one);

    let incremental = new ClusterIndex(0.46);
    for (let start = 0; start < faces.length; start += 37) {
      for (const one of faces.slice(start, start + 37)) incremental.add(one);
      // What the job does after another replica's run: rebuild from the stored members, oldest first.
      const seeds = incremental.all().map((cluster) => ({
        id: cluster.id,
        ignored: cluster.ignored,
        members: faces.filter((one) => incremental.groupOf(one.id) === cluster.id),
      }));
      incremental = new ClusterIndex(0.46, seeds, Math.max(...seeds.map((seed) => seed.id)));
    }
    // Tolerance: only a linkage within float32 rounding of the threshold could go either way; none here.
    expect(partition(incremental, faces)).toEqual(partition(batch, faces));
  });

  it('cohesion is the root-mean-square distance between two members; a member far from the rest is an outlier', () => {
    const dan = person(51);
    const tight = [1, 2, 3, 4].map((seed) => face(photo(dan, seed, 0.12)));
    const stray = face(photo(dan, 9, 0.75));
    const index = new ClusterIndex(0.46, [{ id: 3, ignored: false, members: [...tight, stray] }]);
    const state = index.get(3);
    const all = [...tight, stray];
    let squares = 0;
    let pairs = 0;
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        squares += distance(all[i].descriptor, all[j].descriptor) ** 2;
        pairs++;
      }
    }
    expect(state?.cohesion).toBeCloseTo(Math.sqrt(squares / pairs), 4);
    expect(index.outliers(3)).toEqual([stray.id]);
    // Reported once: the next call reports only what changed.
    expect(index.outlierChanges([3])).toEqual({ marked: [stray.id], cleared: [] });
    expect(index.outlierChanges([3])).toEqual({ marked: [], cleared: [] });
    expect(new ClusterIndex(0.46, [{ id: 4, ignored: false, members: [face(dan)] }]).get(4)?.cohesion).toBeNull();
  });

  it('ignored groups keep taking their faces', () => {
    const poster = person(61);
    const index = new ClusterIndex(0.46, [{ id: 9, ignored: true, members: [face(poster), face(photo(poster, 1, 0.1))] }]);
    expect(index.add(face(photo(poster, 2, 0.1)))).toEqual({ clusterId: 9, created: false });
    expect(index.get(9)).toMatchObject({ ignored: true, size: 3 });
  });

  it('only faces of at least MIN_GROUPED_FACE_PX a side are grouped', () => {
    expect(isGroupable({ width: MIN_GROUPED_FACE_PX, height: 90 })).toBe(true);
    expect(isGroupable({ width: 90, height: MIN_GROUPED_FACE_PX - 1 })).toBe(false);
  });
});

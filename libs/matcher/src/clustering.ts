import { DESCRIPTOR_LENGTH } from '@visage/domain';

/** An unknown face as the grouping sees it: its descriptor and the image it is in (two faces of one image never share a group). */
export interface ClusteredFace {
  id: number;
  imageId: number;
  descriptor: Float32Array;
}

/** A group as stored: its members, and the faces the review split off it (which never join it again). */
export interface ClusterSeed {
  id: number;
  ignored: boolean;
  members: ReadonlyArray<ClusteredFace & { outlier?: boolean }>;
  /** Faces split off this group by the review ("Not the same person"). */
  excluded?: readonly number[];
}

/** One group as it is now, with what the review page shows of it. */
export interface ClusterState {
  id: number;
  size: number;
  /** Mean of the members' descriptors. */
  centroid: Float32Array;
  ignored: boolean;
  /** Root-mean-square distance between two of its faces ({@link rmsSpread}); null for a group of one face. */
  cohesion: number | null;
}

/** What the calls since the last {@link ClusterIndex.takeChanges} changed. */
export interface ClusterChanges {
  /** Groups created, grown or merged into (their state must be written). */
  touched: Set<number>;
  /** Group absorbed by a merge → the group that absorbed it (the final survivor). */
  merged: Map<number, number>;
}

interface Group {
  id: number;
  ignored: boolean;
  faces: number[];
  /** Rows of the members' descriptors in {@link ClusterIndex.vectors}. */
  rows: number[];
  images: Set<number>;
  excluded: Set<number>;
  /** Members last reported as outliers ({@link ClusterIndex.outlierChanges}). */
  flagged: Set<number>;
  /** Sum of the members' descriptors (float64, so a large group's mean does not drift) and of their squared norms. */
  sum: Float64Array;
  squares: number;
  /** Row of its centroid in {@link ClusterIndex.centroids}. */
  slot: number;
}

const INITIAL_CAPACITY = 1024;
/**
 * The descriptor length, read once: the loops below run billions of times at 100,000 faces, and an imported binding
 * read in them is a property lookup each time (a getter under vite-node, which the benchmarks run on).
 */
const DIMENSIONS = DESCRIPTOR_LENGTH;

/**
 * Faces smaller than this (the shorter side of the box, in pixels of the image) are never grouped: the descriptor
 * net sees them upscaled from a few pixels, and their descriptors crowd together whoever they are (on the LFW dev
 * set, background faces of 15–36 px lay within 0.2–0.35 of each other: closer than most photos of one person).
 */
export const MIN_GROUPED_FACE_PX = 40;

/** Whether a face is large enough to be grouped ({@link MIN_GROUPED_FACE_PX}). */
export function isGroupable(box: { width: number; height: number }): boolean {
  return Math.min(box.width, box.height) >= MIN_GROUPED_FACE_PX;
}

/**
 * Grouping of unknown faces by **average linkage against the members**, with cannot-links, one face at a time:
 *
 * - a face joins the group whose members are nearest *on average* (mean euclidean distance from the face to every
 *   member), if that mean is within `threshold`; otherwise it starts a group of its own (the next free id: not
 *   the face's, since a face split off the group it started needs a new one);
 * - after a face joined a group, that group merges with another group near the face (centroid within `threshold`
 *   of it) whose average distance between the two groups' members is within `threshold`, the nearest first, until
 *   none is: a person first seen in two poses, whose gap a later photo filled;
 * - cannot-links: a face never joins a group that holds a face of its image, nor a group the review split it off;
 *   two groups never merge when they share an image or one holds a face split off the other.
 *
 * Why not a centroid: a centroid moves with every face it takes, so a chain of look-alikes drags it, one step
 * within the threshold at a time, across hundreds of people (issue #22: 739 faces of hundreds of people in one
 * group). An average over the members does not move that way: a face far from the group's first members pulls
 * the average up however near it is to the last one.
 *
 * The centroids still serve as an exact pre-filter: by convexity, the mean distance from a face to a set of points
 * is at least its distance to their mean, so only groups whose centroid is within `threshold` can take the face
 * (and only groups whose centroids are within `threshold` of each other can merge). They are packed in one
 * Float32Array and scanned once per face with partial-distance pruning.
 *
 * Every step depends only on the faces before it, so grouping faces in several runs gives exactly what one run
 * over the same faces in the same order gives. Ignored groups take part like any other: faces of a poster keep
 * joining it and never form a new group.
 */
export class ClusterIndex {
  private centroids: Float32Array<ArrayBuffer> = new Float32Array(INITIAL_CAPACITY * DIMENSIONS);
  /** Group at each centroid slot. */
  private slots: Group[] = [];
  private vectors: Float32Array<ArrayBuffer> = new Float32Array(INITIAL_CAPACITY * DIMENSIONS);
  private vectorCount = 0;
  private readonly groups = new Map<number, Group>();
  private readonly groupOfFace = new Map<number, Group>();
  private changes: ClusterChanges = emptyChanges();
  private nextId: number;

  /**
   * `usedIds`: the highest group id ever handed out that may still be stored (an empty group, say); new groups
   * are numbered after it and after every seed.
   */
  constructor(
    readonly threshold: number,
    seeds: readonly ClusterSeed[] = [],
    usedIds = 0,
  ) {
    this.nextId = Math.max(usedIds, 0, ...seeds.map((seed) => seed.id)) + 1;
    for (const seed of seeds) {
      const group = this.createGroup(seed.id, seed.ignored);
      for (const face of seed.members) {
        this.addMember(group, face);
        if (face.outlier) group.flagged.add(face.id);
      }
      for (const faceId of seed.excluded ?? []) group.excluded.add(faceId);
      this.refreshCentroid(group);
    }
  }

  get count(): number {
    return this.groups.size;
  }

  /** The group of `id` as it is now, or undefined when there is none (never created, or merged away). */
  get(id: number): ClusterState | undefined {
    const group = this.groups.get(id);
    return group && this.stateOf(group);
  }

  /** The outliers of group `id`: members whose root-mean-square distance to the other members is beyond the threshold. */
  outliers(id: number): number[] {
    const group = this.groups.get(id);
    return group ? this.membersApart(group) : [];
  }

  /** The id of the group face `faceId` is in. */
  groupOf(faceId: number): number | undefined {
    return this.groupOfFace.get(faceId)?.id;
  }

  /** Every group, for writing back. */
  all(): ClusterState[] {
    return [...this.groups.values()].map((group) => this.stateOf(group));
  }

  /** The review split `faceId` off group `groupId`: it may never join it (or what it merges into) again. */
  exclude(groupId: number, faceId: number): void {
    this.groups.get(groupId)?.excluded.add(faceId);
  }

  /**
   * Puts a face in its group (see the class comment); returns the group's id once merging is done and whether the
   * face started it. A new group takes the next free id.
   */
  add(face: ClusteredFace): { clusterId: number; created: boolean } {
    if (face.descriptor.length !== DIMENSIONS) throw new RangeError(`descriptor has ${face.descriptor.length} values, expected ${DIMENSIONS}`);
    if (this.groupOfFace.has(face.id)) throw new Error(`face ${face.id} is grouped already`);
    // One scan of the centroids serves both steps: the groups the face may join, and those its group may merge with.
    const near = this.groupsNear(face.descriptor, 0);
    const target = this.nearestGroupFor(face, near);
    if (!target) {
      const group = this.createGroup(this.nextId++, false);
      this.addMember(group, face);
      this.refreshCentroid(group);
      this.changes.touched.add(group.id);
      return { clusterId: group.id, created: true };
    }
    this.addMember(target, face);
    this.refreshCentroid(target);
    this.changes.touched.add(target.id);
    const survivor = this.mergeAround(target, near);
    return { clusterId: survivor.id, created: false };
  }

  /**
   * Outliers of the given groups as they are now, against what the last call reported (or the seeds said): the
   * faces to mark and to unmark. Cheap: one pass over each group's members ({@link rmsDistanceToRest}).
   */
  outlierChanges(ids: Iterable<number>): { marked: number[]; cleared: number[] } {
    const marked: number[] = [];
    const cleared: number[] = [];
    for (const id of ids) {
      const group = this.groups.get(id);
      if (!group) continue;
      const now = new Set(this.membersApart(group));
      for (const faceId of now) if (!group.flagged.has(faceId)) marked.push(faceId);
      for (const faceId of group.flagged) if (!now.has(faceId)) cleared.push(faceId);
      group.flagged = now;
    }
    return { marked, cleared };
  }

  /** What changed since the last call (and starts a new record). */
  takeChanges(): ClusterChanges {
    const changes = this.changes;
    this.changes = emptyChanges();
    return changes;
  }

  /** Mean distance from `face` to the members of group `id` (average linkage), or undefined without such a group. */
  linkage(face: Float32Array, id: number): number | undefined {
    const group = this.groups.get(id);
    return group && this.meanDistanceTo(face, 0, group, Infinity);
  }

  /** Of `near`, the group the face may join with the smallest average linkage within the threshold (ties: the lower id). */
  private nearestGroupFor(face: ClusteredFace, near: readonly Group[]): Group | undefined {
    let best: Group | undefined;
    let bestLinkage = this.threshold;
    for (const group of near) {
      if (group.images.has(face.imageId) || group.excluded.has(face.id)) continue;
      const linkage = this.meanDistanceTo(face.descriptor, 0, group, bestLinkage);
      if (linkage < bestLinkage || (linkage === bestLinkage && (best === undefined || group.id < best.id))) {
        best = group;
        bestLinkage = linkage;
      }
    }
    return best;
  }

  /**
   * Merges `group` with the nearest compatible group of `near` (the groups near the face that just joined it: the
   * face between two groups is what brings them together) within the threshold (average linkage), again and again.
   */
  private mergeAround(group: Group, near: readonly Group[]): Group {
    const limit = this.threshold * this.threshold + Number.EPSILON;
    for (;;) {
      let best: Group | undefined;
      let bestLinkage = this.threshold;
      for (const other of near) {
        if (other === group || this.groups.get(other.id) !== other || !this.mayMerge(group, other)) continue;
        // The centroids' distance bounds the average linkage from below (convexity): a cheap exact filter.
        if (squaredDistance(this.centroids, group.slot * DIMENSIONS, this.centroids, other.slot * DIMENSIONS) > limit) continue;
        const linkage = this.meanGroupDistance(group, other, bestLinkage);
        if (linkage < bestLinkage || (linkage === bestLinkage && (best === undefined || other.id < best.id))) {
          best = other;
          bestLinkage = linkage;
        }
      }
      if (!best) return group;
      group = this.absorb(group, best);
    }
  }

  private mayMerge(a: Group, b: Group): boolean {
    const [small, large] = a.images.size <= b.images.size ? [a, b] : [b, a];
    for (const image of small.images) if (large.images.has(image)) return false;
    for (const faceId of a.excluded) if (this.groupOfFace.get(faceId) === b) return false;
    for (const faceId of b.excluded) if (this.groupOfFace.get(faceId) === a) return false;
    return true;
  }

  /** The larger group (ties: the lower id) takes the other's members; returns it. */
  private absorb(a: Group, b: Group): Group {
    const [keep, gone] = a.faces.length > b.faces.length || (a.faces.length === b.faces.length && a.id < b.id) ? [a, b] : [b, a];
    for (let index = 0; index < gone.faces.length; index++) {
      const faceId = gone.faces[index];
      keep.faces.push(faceId);
      keep.rows.push(gone.rows[index]);
      this.groupOfFace.set(faceId, keep);
    }
    for (const faceId of gone.flagged) keep.flagged.add(faceId);
    for (const image of gone.images) keep.images.add(image);
    for (const faceId of gone.excluded) keep.excluded.add(faceId);
    for (let k = 0; k < DIMENSIONS; k++) keep.sum[k] += gone.sum[k];
    keep.squares += gone.squares;
    keep.ignored ||= gone.ignored;
    this.removeGroup(gone);
    this.refreshCentroid(keep);
    this.changes.touched.delete(gone.id);
    this.changes.touched.add(keep.id);
    for (const [from, into] of this.changes.merged) if (into === gone.id) this.changes.merged.set(from, keep.id);
    this.changes.merged.set(gone.id, keep.id);
    return keep;
  }

  private createGroup(id: number, ignored: boolean): Group {
    const slot = this.slots.length;
    if ((slot + 1) * DIMENSIONS > this.centroids.length) this.centroids = grown(this.centroids);
    const group: Group = {
      id,
      ignored,
      faces: [],
      rows: [],
      images: new Set(),
      excluded: new Set(),
      flagged: new Set(),
      sum: new Float64Array(DIMENSIONS),
      squares: 0,
      slot,
    };
    this.slots.push(group);
    this.groups.set(id, group);
    return group;
  }

  /** Drops a group's centroid slot (the last slot moves into it). */
  private removeGroup(group: Group): void {
    const last = this.slots.length - 1;
    const moved = this.slots[last];
    if (moved !== group) {
      this.centroids.copyWithin(group.slot * DIMENSIONS, last * DIMENSIONS, (last + 1) * DIMENSIONS);
      this.slots[group.slot] = moved;
      moved.slot = group.slot;
    }
    this.slots.pop();
    this.groups.delete(group.id);
  }

  private addMember(group: Group, face: ClusteredFace): void {
    if ((this.vectorCount + 1) * DIMENSIONS > this.vectors.length) this.vectors = grown(this.vectors);
    const row = this.vectorCount++;
    this.vectors.set(face.descriptor, row * DIMENSIONS);
    group.faces.push(face.id);
    group.rows.push(row);
    group.images.add(face.imageId);
    let squared = 0;
    for (let k = 0; k < DIMENSIONS; k++) {
      group.sum[k] += face.descriptor[k];
      squared += face.descriptor[k] * face.descriptor[k];
    }
    group.squares += squared;
    this.groupOfFace.set(face.id, group);
  }

  private refreshCentroid(group: Group): void {
    const offset = group.slot * DIMENSIONS;
    const size = group.faces.length;
    for (let k = 0; k < DIMENSIONS; k++) this.centroids[offset + k] = group.sum[k] / size;
  }

  private stateOf(group: Group): ClusterState {
    const offset = group.slot * DIMENSIONS;
    const centroid = this.centroids.slice(offset, offset + DIMENSIONS);
    const spread = rmsSpread(group.faces.length, group.squares, group.sum);
    return { id: group.id, size: group.faces.length, centroid, ignored: group.ignored, cohesion: group.faces.length < 2 ? null : spread };
  }

  /** Members whose root-mean-square distance to the others is beyond the threshold (groups of three or more). */
  private membersApart(group: Group): number[] {
    const outliers: number[] = [];
    if (group.faces.length < 3) return outliers;
    group.rows.forEach((row, index) => {
      if (rmsDistanceToRest(this.vectors, row * DIMENSIONS, group) > this.threshold) outliers.push(group.faces[index]);
    });
    return outliers;
  }

  /**
   * Groups whose centroid is within the threshold of the vector at `query[start]`: every slot is given up once
   * its partial squared distance passes the limit (checked every 8 dimensions, unrolled; most groups are other
   * people and stop after a few dimensions). Written inline on purpose: the same loop calling a distance
   * function per slot measured three times the CPU, and this scan is most of the grouping's time.
   */
  private groupsNear(query: Float32Array, start: number): Group[] {
    const data = this.centroids;
    const limit = this.threshold * this.threshold + Number.EPSILON;
    const count = this.slots.length;
    const near: Group[] = [];
    for (let slot = 0; slot < count; slot++) {
      const offset = slot * DIMENSIONS;
      let sum = 0;
      for (let k = 0; k < DIMENSIONS; k += 8) {
        const o = offset + k;
        const q = start + k;
        const d0 = data[o] - query[q];
        const d1 = data[o + 1] - query[q + 1];
        const d2 = data[o + 2] - query[q + 2];
        const d3 = data[o + 3] - query[q + 3];
        const d4 = data[o + 4] - query[q + 4];
        const d5 = data[o + 5] - query[q + 5];
        const d6 = data[o + 6] - query[q + 6];
        const d7 = data[o + 7] - query[q + 7];
        sum += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
        if (sum > limit) break;
      }
      if (sum <= limit) near.push(this.slots[slot]);
    }
    return near;
  }

  /**
   * Mean distance from the vector at `query[start]` to the group's members; once the sum shows it cannot come
   * under `bound`, returns Infinity without looking at the rest.
   */
  private meanDistanceTo(query: Float32Array, start: number, group: Group, bound: number): number {
    const size = group.rows.length;
    const budget = bound * size;
    let total = 0;
    for (const row of group.rows) {
      total += Math.sqrt(squaredDistance(this.vectors, row * DIMENSIONS, query, start));
      if (total > budget) return Infinity;
    }
    return total / size;
  }

  /** Mean distance between the members of two groups (average linkage), Infinity once it cannot come under `bound`. */
  private meanGroupDistance(a: Group, b: Group, bound: number): number {
    const pairs = a.rows.length * b.rows.length;
    const budget = bound * pairs;
    let total = 0;
    for (const row of a.rows) {
      for (const other of b.rows) {
        total += Math.sqrt(squaredDistance(this.vectors, row * DIMENSIONS, this.vectors, other * DIMENSIONS));
        if (total > budget) return Infinity;
      }
    }
    return total / pairs;
  }
}

function emptyChanges(): ClusterChanges {
  return { touched: new Set(), merged: new Map() };
}

function grown(array: Float32Array): Float32Array<ArrayBuffer> {
  const bigger = new Float32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** Squared euclidean distance between the descriptors at `a[aStart]` and `b[bStart]`. */
function squaredDistance(a: Float32Array, aStart: number, b: Float32Array, bStart: number): number {
  let sum = 0;
  for (let k = 0; k < DIMENSIONS; k++) {
    const difference = a[aStart + k] - b[bStart + k];
    sum += difference * difference;
  }
  return sum;
}

/** Mean squared distance of the members to their mean, from the sums: Σ|x|²/n − |Σx/n|². */
function meanSquaredRadius(size: number, squares: number, sum: Float64Array): number {
  let centroidNorm = 0;
  for (let k = 0; k < DIMENSIONS; k++) centroidNorm += (sum[k] / size) * (sum[k] / size);
  return Math.max(0, squares / size - centroidNorm);
}

/**
 * Root-mean-square distance between two different members of a group: the mean squared distance over pairs is
 * 2·n/(n−1) times the mean squared distance to the centroid, so it comes from the sums in O(dimensions).
 */
export function rmsSpread(size: number, squares: number, sum: Float64Array): number {
  return size < 2 ? 0 : Math.sqrt((2 * size * meanSquaredRadius(size, squares, sum)) / (size - 1));
}

/**
 * Root-mean-square distance from the member at `vectors[start]` to the group's other members:
 * Σ_j |x − m_j|² = n·|x − c|² + n·r² (c the centroid, r² the mean squared radius), over n − 1 others.
 */
function rmsDistanceToRest(vectors: Float32Array, start: number, group: Pick<Group, 'faces' | 'squares' | 'sum'>): number {
  const size = group.faces.length;
  let toCentroid = 0;
  for (let k = 0; k < DIMENSIONS; k++) {
    const difference = vectors[start + k] - group.sum[k] / size;
    toCentroid += difference * difference;
  }
  return Math.sqrt((size * (toCentroid + meanSquaredRadius(size, group.squares, group.sum))) / (size - 1));
}

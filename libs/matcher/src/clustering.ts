import { DESCRIPTOR_LENGTH } from '@visage/domain';

/** One group of unknown faces: its id, member count and the mean of the members' descriptors. */
export interface ClusterState {
  id: number;
  size: number;
  centroid: Float32Array;
  ignored: boolean;
}

/** What one pass changed: groups to write (new or moved centroid) and groups absorbed by another. */
export interface ClusterChanges {
  /** Ids of the groups whose size or centroid changed (created ones included). */
  touched: Set<number>;
  /** absorbed id → the id of the group it was merged into. */
  merged: Map<number, number>;
}

const INITIAL_CAPACITY = 1024;

/**
 * Incremental nearest-centroid clustering (leader clustering with running means), then merging:
 *
 * - a face joins the group whose centroid is nearest, if that is within `threshold` (the centroid moves to
 *   the new mean); otherwise it starts a group of its own, whose id is the face's id;
 * - {@link merge} joins groups whose centroids came within `threshold` of each other (a person first seen in
 *   two poses that later filled the gap), greedily from the largest group down, until nothing is left to merge.
 *
 * Centroids are packed in one Float32Array and scanned with partial-distance pruning, as the gallery is. One
 * face costs one scan of the groups, so faces are grouped as they arrive and the order of arrival matters
 * only at the margins (which merging repairs). An ignored group takes part like any other, so faces of a
 * poster keep joining it and never form a new group.
 */
export class ClusterIndex {
  private centroids = new Float32Array(INITIAL_CAPACITY * DESCRIPTOR_LENGTH);
  private ids: number[] = [];
  private sizes: number[] = [];
  private ignoredFlags: boolean[] = [];
  private readonly rowOf = new Map<number, number>();

  constructor(
    readonly threshold: number,
    clusters: readonly ClusterState[] = [],
  ) {
    for (const cluster of clusters) this.push(cluster.id, cluster.size, cluster.centroid, cluster.ignored);
  }

  get count(): number {
    return this.ids.length;
  }

  /** The group of `id` as it is now, or undefined when there is none (never created, or merged away). */
  get(id: number): ClusterState | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined) return undefined;
    const offset = row * DESCRIPTOR_LENGTH;
    return { id, size: this.sizes[row], centroid: this.centroids.slice(offset, offset + DESCRIPTOR_LENGTH), ignored: this.ignoredFlags[row] };
  }

  /** The nearest group's id and its centroid's distance, or undefined when there are no groups. */
  nearest(descriptor: Float32Array): { id: number; distance: number } | undefined {
    const row = this.nearestRow(descriptor);
    return row && { id: this.ids[row.row], distance: Math.sqrt(row.squared) };
  }

  /** Puts face `faceId` in its group (see the class comment); returns the group's id and whether it is new. */
  add(faceId: number, descriptor: Float32Array, changes?: ClusterChanges): { clusterId: number; created: boolean } {
    if (descriptor.length !== DESCRIPTOR_LENGTH) throw new RangeError(`descriptor has ${descriptor.length} values, expected ${DESCRIPTOR_LENGTH}`);
    // Only a group within the threshold matters; <= as the gallery's threshold is inclusive.
    const found = this.nearestRow(descriptor, this.threshold * this.threshold + Number.EPSILON);
    if (found) {
      const { row } = found;
      const size = this.sizes[row];
      const offset = row * DESCRIPTOR_LENGTH;
      for (let k = 0; k < DESCRIPTOR_LENGTH; k++) this.centroids[offset + k] += (descriptor[k] - this.centroids[offset + k]) / (size + 1);
      this.sizes[row] = size + 1;
      changes?.touched.add(this.ids[row]);
      return { clusterId: this.ids[row], created: false };
    }
    if (this.rowOf.has(faceId)) throw new Error(`group ${faceId} exists already`);
    this.push(faceId, 1, descriptor, false);
    changes?.touched.add(faceId);
    return { clusterId: faceId, created: true };
  }

  /**
   * Merges groups whose centroids are within the threshold, looking only at pairs with a group in
   * `changes.touched` (the groups this run created or moved; every group on a first run): each of those,
   * largest first, is compared with every other group; the larger of a pair absorbs the smaller (ties: the
   * lower id), taking the weighted mean of the centroids, and is ignored if either was. The groups that grew
   * are looked at again until nothing merges.
   */
  merge(changes: ClusterChanges = { touched: new Set(this.ids), merged: new Map() }): ClusterChanges {
    const limit = this.threshold * this.threshold + Number.EPSILON;
    let candidates = new Set(changes.touched);
    while (candidates.size > 0) {
      const grown = new Set<number>();
      const absorbed = new Set<number>();
      const rows = [...candidates]
        .flatMap((id) => {
          const row = this.rowOf.get(id);
          return row === undefined ? [] : [row];
        })
        .sort((a, b) => this.sizes[b] - this.sizes[a] || this.ids[a] - this.ids[b]);
      for (const candidate of rows) {
        if (absorbed.has(candidate)) continue;
        let keep = candidate;
        // The survivor goes on comparing with the rest, from the first row again: its centroid moved.
        for (let other = this.firstRowNear(keep, limit, absorbed); other !== undefined; other = this.firstRowNear(keep, limit, absorbed)) {
          const otherWins = this.sizes[other] > this.sizes[keep] || (this.sizes[other] === this.sizes[keep] && this.ids[other] < this.ids[keep]);
          const [winner, loser] = otherWins ? [other, keep] : [keep, other];
          this.absorb(winner, loser);
          absorbed.add(loser);
          changes.merged.set(this.ids[loser], this.ids[winner]);
          changes.touched.add(this.ids[winner]);
          grown.add(this.ids[winner]);
          grown.delete(this.ids[loser]);
          keep = winner;
        }
      }
      if (absorbed.size > 0) this.compact(absorbed);
      candidates = grown;
    }
    // A group absorbed by a group that was itself absorbed later: point at the final survivor.
    for (const [from, into] of changes.merged) {
      let target = into;
      while (changes.merged.has(target)) target = changes.merged.get(target) ?? target;
      changes.merged.set(from, target);
      changes.touched.delete(from);
    }
    return changes;
  }

  /** Sets a group's size and centroid (recomputed from its members after the review removed one). */
  replace(id: number, size: number, centroid: Float32Array): void {
    const row = this.rowOf.get(id);
    if (row === undefined) throw new Error(`no group ${id}`);
    this.sizes[row] = size;
    this.centroids.set(centroid, row * DESCRIPTOR_LENGTH);
  }

  /** Every group, for writing back. */
  all(): ClusterState[] {
    return this.ids.map((id) => this.get(id) as ClusterState);
  }

  private push(id: number, size: number, centroid: Float32Array, ignored: boolean): void {
    const row = this.ids.length;
    if ((row + 1) * DESCRIPTOR_LENGTH > this.centroids.length) {
      const grown = new Float32Array(this.centroids.length * 2);
      grown.set(this.centroids);
      this.centroids = grown;
    }
    this.centroids.set(centroid, row * DESCRIPTOR_LENGTH);
    this.ids.push(id);
    this.sizes.push(size);
    this.ignoredFlags.push(ignored);
    this.rowOf.set(id, row);
  }

  private absorb(keep: number, other: number): void {
    const total = this.sizes[keep] + this.sizes[other];
    const keepOffset = keep * DESCRIPTOR_LENGTH;
    const otherOffset = other * DESCRIPTOR_LENGTH;
    if (total > 0) {
      for (let k = 0; k < DESCRIPTOR_LENGTH; k++) {
        this.centroids[keepOffset + k] = (this.centroids[keepOffset + k] * this.sizes[keep] + this.centroids[otherOffset + k] * this.sizes[other]) / total;
      }
    }
    this.sizes[keep] = total;
    this.ignoredFlags[keep] = this.ignoredFlags[keep] || this.ignoredFlags[other];
  }

  /** Drops the absorbed rows, keeping the others in order. */
  private compact(absorbed: Set<number>): void {
    const keptRows = this.ids.map((_, row) => row).filter((row) => !absorbed.has(row));
    const centroids = new Float32Array(Math.max(INITIAL_CAPACITY, keptRows.length) * DESCRIPTOR_LENGTH);
    keptRows.forEach((row, index) => centroids.set(this.centroids.subarray(row * DESCRIPTOR_LENGTH, (row + 1) * DESCRIPTOR_LENGTH), index * DESCRIPTOR_LENGTH));
    this.centroids = centroids;
    this.ids = keptRows.map((row) => this.ids[row]);
    this.sizes = keptRows.map((row) => this.sizes[row]);
    this.ignoredFlags = keptRows.map((row) => this.ignoredFlags[row]);
    this.rowOf.clear();
    this.ids.forEach((id, row) => this.rowOf.set(id, row));
  }

  /**
   * The nearest row closer than `within` (squared; Infinity: any), with partial-distance pruning: a row is given
   * up once its partial sum reaches the best so far. Starting from the threshold rather than Infinity lets most
   * rows of other people stop after a few dimensions.
   */
  private nearestRow(descriptor: Float32Array, within = Infinity): { row: number; squared: number } | undefined {
    return this.scanRows(descriptor, 0, within, 'nearest');
  }

  /** The first row (in row order) other than `row` and the `skipped` ones whose centroid is closer than `within` to row's. */
  private firstRowNear(row: number, within: number, skipped: ReadonlySet<number>): number | undefined {
    return this.scanRows(this.centroids, row * DESCRIPTOR_LENGTH, within, 'first', (other) => other === row || skipped.has(other))?.row;
  }

  /**
   * The one scan of the centroids, for a query descriptor at `query[queryStart]`: rows are given up once their
   * partial squared distance reaches the bound (checked every 8 dimensions, unrolled), which is `within`, or
   * for `nearest` the best distance so far. Written once and inline on purpose: the same loop calling a
   * distance function per row measured three times the CPU (add() on 30,000 faces in 1,000 groups).
   */
  private scanRows(query: Float32Array, queryStart: number, within: number, mode: 'nearest' | 'first', skip?: (row: number) => boolean): { row: number; squared: number } | undefined {
    const data = this.centroids;
    const length = DESCRIPTOR_LENGTH;
    const count = this.ids.length;
    let best = -1;
    let bestSquared = within;
    for (let row = 0; row < count; row++) {
      if (skip !== undefined && skip(row)) continue;
      const offset = row * length;
      let sum = 0;
      for (let k = 0; k < length; k += 8) {
        const o = offset + k;
        const q = queryStart + k;
        const a = data[o] - query[q];
        const b = data[o + 1] - query[q + 1];
        const c = data[o + 2] - query[q + 2];
        const d = data[o + 3] - query[q + 3];
        const e = data[o + 4] - query[q + 4];
        const f = data[o + 5] - query[q + 5];
        const g = data[o + 6] - query[q + 6];
        const h = data[o + 7] - query[q + 7];
        sum += a * a + b * b + c * c + d * d + e * e + f * f + g * g + h * h;
        if (sum >= bestSquared) break;
      }
      if (sum < bestSquared) {
        if (mode === 'first') return { row, squared: sum };
        bestSquared = sum;
        best = row;
      }
    }
    return best < 0 ? undefined : { row: best, squared: bestSquared };
  }
}

/** Mean of descriptors (a group's centroid recomputed from its members). */
export function meanDescriptor(descriptors: readonly Float32Array[]): Float32Array {
  const mean = new Float32Array(DESCRIPTOR_LENGTH);
  for (const descriptor of descriptors) for (let k = 0; k < DESCRIPTOR_LENGTH; k++) mean[k] += descriptor[k];
  if (descriptors.length > 0) for (let k = 0; k < DESCRIPTOR_LENGTH; k++) mean[k] /= descriptors.length;
  return mean;
}

import { DESCRIPTOR_LENGTH, FaceMatch, GalleryView, MatchRule, namedByRule } from '@visage/domain';

export interface GalleryEntry {
  personId: number;
  personName: string;
  descriptor: Float32Array;
}

/** A gallery's rows as typed arrays: descriptor i at [i·128, (i+1)·128), its person at personIds[i]. */
export interface PackedGallery {
  descriptors: Float32Array;
  personIds: Int32Array;
}

export interface GalleryMatch extends FaceMatch {
  /** False when the {@link MatchRule} does not name the nearest person (too far, or another too close): unknown. */
  matched: boolean;
  /** Distance to the nearest enrolment of any other person (Infinity: nobody else is enrolled). */
  secondDistance: number;
  /** Gallery rows of the nearest enrolment and of the other person's nearest (-1: none); the batched matcher checks them. */
  row: number;
  secondRow: number;
}

/**
 * Every known descriptor in one packed Float32Array (row i = entry i), scanned linearly: for a gallery of
 * 100,000 faces that is 12.8 M floats, cache-friendly and fast enough (see bench/matcher.ts) without an index.
 */
export class Gallery {
  private readonly descriptors: Float32Array;
  private readonly personIds: Int32Array;
  private readonly personNames: string[];

  /** From entries, or from rows another gallery packed (a worker thread receives them so; names are not sent). */
  constructor(source: readonly GalleryEntry[] | PackedGallery) {
    if (!Array.isArray(source)) {
      const packed = source as PackedGallery;
      if (packed.descriptors.length !== packed.personIds.length * DESCRIPTOR_LENGTH)
        throw new RangeError('packed gallery rows and persons differ in number');
      this.descriptors = packed.descriptors;
      this.personIds = packed.personIds;
      this.personNames = new Array<string>(packed.personIds.length).fill('');
      return;
    }
    const entries = source as readonly GalleryEntry[];
    this.descriptors = new Float32Array(entries.length * DESCRIPTOR_LENGTH);
    this.personIds = new Int32Array(entries.length);
    this.personNames = new Array<string>(entries.length);
    entries.forEach((entry, index) => {
      if (entry.descriptor.length !== DESCRIPTOR_LENGTH) {
        throw new RangeError(`descriptor of person ${entry.personId} has ${entry.descriptor.length} values, expected ${DESCRIPTOR_LENGTH}`);
      }
      this.descriptors.set(entry.descriptor, index * DESCRIPTOR_LENGTH);
      this.personIds[index] = entry.personId;
      this.personNames[index] = entry.personName;
    });
  }

  /** The rows as typed arrays (copied when posted to a worker thread). */
  packed(): PackedGallery {
    return { descriptors: this.descriptors, personIds: this.personIds };
  }

  get size(): number {
    return this.personIds.length;
  }

  /** Distinct persons in the gallery. */
  get persons(): number {
    return new Set(this.personIds).size;
  }

  /**
   * The nearest known person (euclidean; a person's distance is that of their nearest enrolment) and how far the
   * second-nearest person is; `matched` when the {@link MatchRule} names the nearest. Undefined when the gallery is
   * empty. Ties go to the earliest entry (the gallery is loaded in enrolment order, so every replica agrees).
   */
  match(descriptor: Float32Array, rule: MatchRule, excludePersonIds?: ReadonlySet<number>): GalleryMatch | undefined {
    if (descriptor.length !== DESCRIPTOR_LENGTH) {
      throw new RangeError(`descriptor has ${descriptor.length} values, expected ${DESCRIPTOR_LENGTH}`);
    }
    if (excludePersonIds && excludePersonIds.size > 0) return this.matchExcluding(descriptor, rule, excludePersonIds);
    const count = this.personIds.length;
    if (count === 0) return undefined;
    const data = this.descriptors;
    // A local constant: the imported binding would be a property load on the module object in the hot loop.
    const length = DESCRIPTOR_LENGTH;
    const nearest = new NearestTwoPersons(this.personIds);
    let row = 0;
    // Four rows at a time: each probe value is loaded once for four rows (half the loads of one row at a time).
    // After every 16 dims, give up on the four once none of them can beat the second-nearest person (only rows
    // below it can change the answer). Ties go to the earlier row: rows are offered in order, and only a strictly
    // smaller sum wins.
    for (; row + 4 <= count; row += 4) {
      const o0 = row * length;
      const o1 = o0 + length;
      const o2 = o1 + length;
      const o3 = o2 + length;
      const bound = nearest.secondSquared;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < length; k += 4) {
        const q0 = descriptor[k];
        const q1 = descriptor[k + 1];
        const q2 = descriptor[k + 2];
        const q3 = descriptor[k + 3];
        let a = data[o0 + k] - q0;
        let b = data[o0 + k + 1] - q1;
        let c = data[o0 + k + 2] - q2;
        let d = data[o0 + k + 3] - q3;
        s0 += a * a + b * b + c * c + d * d;
        a = data[o1 + k] - q0;
        b = data[o1 + k + 1] - q1;
        c = data[o1 + k + 2] - q2;
        d = data[o1 + k + 3] - q3;
        s1 += a * a + b * b + c * c + d * d;
        a = data[o2 + k] - q0;
        b = data[o2 + k + 1] - q1;
        c = data[o2 + k + 2] - q2;
        d = data[o2 + k + 3] - q3;
        s2 += a * a + b * b + c * c + d * d;
        a = data[o3 + k] - q0;
        b = data[o3 + k + 1] - q1;
        c = data[o3 + k + 2] - q2;
        d = data[o3 + k + 3] - q3;
        s3 += a * a + b * b + c * c + d * d;
        if ((k & 15) === 12 && s0 >= bound && s1 >= bound && s2 >= bound && s3 >= bound) break;
      }
      nearest.offer(row, s0);
      nearest.offer(row + 1, s1);
      nearest.offer(row + 2, s2);
      nearest.offer(row + 3, s3);
    }
    for (; row < count; row++) nearest.offer(row, this.boundedSquaredDistance(descriptor, row, nearest.secondSquared));
    return this.toMatch(nearest, rule);
  }

  /**
   * {@link match} without the rows of `excluded` persons: a plain scan, since only the few faces rejected for
   * someone in the review (or displaced by a closer face of their image) take this path. Undefined when no
   * other person is enrolled.
   */
  private matchExcluding(descriptor: Float32Array, rule: MatchRule, excluded: ReadonlySet<number>): GalleryMatch | undefined {
    const nearest = new NearestTwoPersons(this.personIds);
    for (let row = 0; row < this.personIds.length; row++) {
      if (excluded.has(this.personIds[row])) continue;
      nearest.offer(row, this.boundedSquaredDistance(descriptor, row, nearest.secondSquared));
    }
    return this.toMatch(nearest, rule);
  }

  /** `row`'s squared distance, one dimension at a time, given up (≥ `bound`) once it cannot beat `bound`. */
  private boundedSquaredDistance(descriptor: Float32Array, row: number, bound: number): number {
    const data = this.descriptors;
    const offset = row * DESCRIPTOR_LENGTH;
    let sum = 0;
    for (let k = 0; k < DESCRIPTOR_LENGTH && sum < bound; k++) {
      const difference = data[offset + k] - descriptor[k];
      sum += difference * difference;
    }
    return sum;
  }

  /**
   * {@link match} among `rows` only (ascending): the same answer, to the last bit, whenever every row nearer than
   * the second-nearest person {@link match} would find is among them — each row's sum is computed as
   * {@link match} computes it, ties go to the earlier row. The batched matcher finds the candidate rows; this
   * decides between them, and checks with the rows it names ({@link GalleryMatch.secondRow}) that nothing was missed.
   */
  matchAmong(descriptor: Float32Array, rows: ArrayLike<number>, rule: MatchRule): GalleryMatch | undefined {
    const nearest = new NearestTwoPersons(this.personIds);
    for (let index = 0; index < rows.length; index++) nearest.offer(rows[index], this.squaredDistance(descriptor, rows[index]));
    return this.toMatch(nearest, rule);
  }

  /**
   * The distance from `descriptor` to every row, in row order, each summed as {@link match} sums it: what the
   * review's checks compare (a group's faces with each other, a face with each person's enrolments).
   */
  distancesTo(descriptor: Float32Array): Float64Array {
    if (descriptor.length !== DESCRIPTOR_LENGTH) throw new RangeError(`descriptor has ${descriptor.length} values, expected ${DESCRIPTOR_LENGTH}`);
    const distances = new Float64Array(this.personIds.length);
    for (let row = 0; row < distances.length; row++) distances[row] = Math.sqrt(this.squaredDistance(descriptor, row));
    return distances;
  }

  /** The person of `row` (as {@link match} names it). */
  personAt(row: number): { personId: number; personName: string } {
    return { personId: this.personIds[row], personName: this.personNames[row] };
  }

  /**
   * The squared distance {@link match} sums for `row`: rows in its blocks of four add four squared differences at
   * a time, the last (size mod 4) rows one at a time. Doubles are not associative, so the order matters.
   */
  private squaredDistance(descriptor: Float32Array, row: number): number {
    const data = this.descriptors;
    const offset = row * DESCRIPTOR_LENGTH;
    let sum = 0;
    if (row < this.personIds.length - (this.personIds.length % 4)) {
      for (let k = 0; k < DESCRIPTOR_LENGTH; k += 4) {
        const a = data[offset + k] - descriptor[k];
        const b = data[offset + k + 1] - descriptor[k + 1];
        const c = data[offset + k + 2] - descriptor[k + 2];
        const d = data[offset + k + 3] - descriptor[k + 3];
        sum += a * a + b * b + c * c + d * d;
      }
      return sum;
    }
    for (let k = 0; k < DESCRIPTOR_LENGTH; k++) {
      const difference = data[offset + k] - descriptor[k];
      sum += difference * difference;
    }
    return sum;
  }

  private toMatch(nearest: NearestTwoPersons, rule: MatchRule): GalleryMatch | undefined {
    if (nearest.row < 0) return undefined;
    const distance = Math.sqrt(nearest.squared);
    const secondDistance = Math.sqrt(nearest.secondSquared);
    return {
      personId: this.personIds[nearest.row],
      personName: this.personNames[nearest.row],
      distance,
      secondDistance,
      secondRow: nearest.secondRow,
      row: nearest.row,
      matched: namedByRule(rule, distance, secondDistance),
    };
  }
}

/**
 * The nearest row of the nearest person and of the second-nearest person, as rows are offered in order (a
 * streaming top two over persons): a row only counts when its sum is strictly smaller, so ties go to the earlier
 * row whatever subset of the farther rows is offered.
 */
class NearestTwoPersons {
  row = -1;
  squared = Infinity;
  private person = NaN;
  secondRow = -1;
  secondSquared = Infinity;

  constructor(private readonly personIds: Int32Array) {}

  offer(row: number, squared: number): void {
    if (!(squared < this.secondSquared)) return;
    const person = this.personIds[row];
    if (person === this.person) {
      if (squared < this.squared) {
        this.squared = squared;
        this.row = row;
      }
    } else if (squared < this.squared) {
      this.secondSquared = this.squared;
      this.secondRow = this.row;
      this.squared = squared;
      this.row = row;
      this.person = person;
    } else {
      this.secondSquared = squared;
      this.secondRow = row;
    }
  }
}

/** A loaded {@link Gallery} with its version and the match rule: what a processor matches one image against. */
export class VersionedGallery implements GalleryView {
  constructor(
    readonly version: number,
    readonly gallery: Gallery,
    readonly rule: MatchRule,
  ) {}

  match(descriptor: Float32Array, excludePersonIds?: ReadonlySet<number>): GalleryMatch | undefined {
    return this.gallery.match(descriptor, this.rule, excludePersonIds);
  }
}

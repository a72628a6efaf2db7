import { DESCRIPTOR_LENGTH, FaceMatch, GallerySnapshot } from '@visage/domain';

export interface GalleryEntry {
  personId: number;
  personName: string;
  descriptor: Float32Array;
}

export interface GalleryMatch extends FaceMatch {
  /** False when the nearest known face is farther than the threshold: an unknown face. */
  matched: boolean;
}

/**
 * Every known descriptor in one packed Float32Array (row i = entry i), scanned linearly: for a gallery of
 * 100,000 faces that is 12.8 M floats, cache-friendly and fast enough (see bench/matcher.ts) without an index.
 */
export class Gallery {
  private readonly descriptors: Float32Array;
  private readonly personIds: Int32Array;
  private readonly personNames: string[];

  constructor(entries: readonly GalleryEntry[]) {
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

  get size(): number {
    return this.personIds.length;
  }

  /** Distinct persons in the gallery. */
  get persons(): number {
    return new Set(this.personIds).size;
  }

  /**
   * The nearest known face (euclidean), `matched` only within `threshold`; undefined when the gallery is empty.
   * Ties go to the earliest entry (the gallery is loaded in enrolment order, so every replica agrees).
   */
  match(descriptor: Float32Array, threshold: number): GalleryMatch | undefined {
    if (descriptor.length !== DESCRIPTOR_LENGTH) {
      throw new RangeError(`descriptor has ${descriptor.length} values, expected ${DESCRIPTOR_LENGTH}`);
    }
    const count = this.personIds.length;
    if (count === 0) return undefined;
    const data = this.descriptors;
    // A local constant: the imported binding would be a property load on the module object in the hot loop.
    const length = DESCRIPTOR_LENGTH;
    let best = -1;
    let bestSquared = Infinity;
    for (let row = 0, offset = 0; row < count; row++, offset += length) {
      let sum = 0;
      // 8-way unrolled; after each 32 dims, give up on a row that can no longer beat the best one.
      for (let block = 0; block < length && sum < bestSquared; block += 32) {
        for (let k = block, end = block + 32; k < end; k += 8) {
          const o = offset + k;
          const d0 = data[o] - descriptor[k];
          const d1 = data[o + 1] - descriptor[k + 1];
          const d2 = data[o + 2] - descriptor[k + 2];
          const d3 = data[o + 3] - descriptor[k + 3];
          const d4 = data[o + 4] - descriptor[k + 4];
          const d5 = data[o + 5] - descriptor[k + 5];
          const d6 = data[o + 6] - descriptor[k + 6];
          const d7 = data[o + 7] - descriptor[k + 7];
          sum += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
        }
      }
      if (sum < bestSquared) {
        bestSquared = sum;
        best = row;
      }
    }
    const distance = Math.sqrt(bestSquared);
    return {
      personId: this.personIds[best],
      personName: this.personNames[best],
      distance,
      matched: distance <= threshold,
    };
  }
}

/** A loaded {@link Gallery} with its version and the threshold: what a processor matches one image against. */
export class VersionedGallery implements GallerySnapshot {
  constructor(
    readonly version: number,
    readonly gallery: Gallery,
    private readonly threshold: number,
  ) {}

  match(descriptor: Float32Array): GalleryMatch | undefined {
    return this.gallery.match(descriptor, this.threshold);
  }
}

import { Gallery } from './gallery';

/** An enrolment added to or removed from the gallery. */
export interface GalleryChange {
  personImageId: number;
  personId: number;
  removed: boolean;
  descriptor: Float32Array;
}

/** A face as its last match left it. */
export interface MatchedFace {
  personId: number | null;
  /** Distance to the nearest enrolment then (null: the gallery was empty). */
  distance: number | null;
  descriptor: Float32Array;
}

/** Who a face is (null: nobody within the threshold) and how far its nearest enrolment is (null: none). */
export interface Identity {
  personId: number | null;
  distance: number | null;
}

/**
 * Distances are stored as float32 (MySQL FLOAT): two within this are treated as a possible tie, and a tie is
 * left to a full match (ties go to the earliest enrolment, which a delta cannot see).
 */
const TIE_EPSILON = 1e-5;

/**
 * What changed in the gallery between two versions, net: an enrolment added and removed again in between (for
 * the same person) is neither. Lets a face be re-matched against only what changed, with the same answer as a full match.
 */
export class GalleryDelta {
  readonly added: Gallery;
  readonly removed: Gallery;

  constructor(changes: readonly GalleryChange[]) {
    // An enrolment moved to another person (a merge) is removed under one and added under the other: both count.
    const key = (change: GalleryChange) => `${change.personImageId}:${change.personId}`;
    const addedKeys = new Set(changes.filter((change) => !change.removed).map(key));
    const removedKeys = new Set(changes.filter((change) => change.removed).map(key));
    const entry = (change: GalleryChange) => ({ personId: change.personId, personName: '', descriptor: change.descriptor });
    this.added = new Gallery(changes.filter((change) => !change.removed && !removedKeys.has(key(change))).map(entry));
    this.removed = new Gallery(changes.filter((change) => change.removed && !addedKeys.has(key(change))).map(entry));
  }

  /** Rows a face is compared with: the cost of re-matching from the delta instead of the whole gallery. */
  get size(): number {
    return this.added.size + this.removed.size;
  }

  /**
   * The face's identity against the new gallery from its identity against the old one, or undefined when only
   * a full match can tell: an enrolment at (or within a tie of) the old nearest distance was removed, or an
   * added one ties with it. Otherwise the nearest is the old one or the nearest added one, whichever is nearer.
   */
  rematch(face: MatchedFace, threshold: number): Identity | undefined {
    const previous = face.distance ?? Infinity;
    if (this.removed.size > 0) {
      const nearestRemoved = this.removed.match(face.descriptor, Infinity);
      if (nearestRemoved && nearestRemoved.distance <= previous + TIE_EPSILON) return undefined;
    }
    const nearestAdded = this.added.match(face.descriptor, threshold);
    if (!nearestAdded || nearestAdded.distance > previous + TIE_EPSILON) return { personId: face.personId, distance: face.distance };
    if (nearestAdded.distance < previous - TIE_EPSILON) {
      return { personId: nearestAdded.matched ? nearestAdded.personId : null, distance: nearestAdded.distance };
    }
    return undefined;
  }
}

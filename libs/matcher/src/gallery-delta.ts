import { MatchRule } from '@visage/domain';
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

/** Who a face is (null: not named by the rule) and how far its nearest enrolment is (null: none). */
export interface Identity {
  personId: number | null;
  distance: number | null;
}

/**
 * Distances are stored as float32 (MySQL FLOAT): a change within this of the reach is treated as inside it, and
 * left to a full match.
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
   * a full match can tell. Under the {@link MatchRule} a face's identity depends on its nearest person and on
   * whether another person is within the margin of it, so any enrolment added or removed within (old nearest
   * distance + margin) may change it: those faces are left to a full match. An enrolment farther than that can
   * neither become the nearest nor come within (or leave) the margin, so the identity stands. A face too far from
   * everyone to be named stays unnamed unless an enrolment within the threshold is added; only its nearest
   * distance can move. A face matched against an empty gallery (distance null) is matched against the added
   * enrolments, which are the new gallery.
   */
  rematch(face: MatchedFace, rule: MatchRule): Identity | undefined {
    if (face.distance === null) {
      if (this.removed.size > 0) return undefined;
      const match = this.added.match(face.descriptor, rule);
      return { personId: match?.matched ? match.personId : null, distance: match?.distance ?? null };
    }
    const nearestRemoved = this.nearestDistance(this.removed, face.descriptor);
    const nearestAdded = this.nearestDistance(this.added, face.descriptor);
    if (face.personId === null && face.distance > rule.threshold + TIE_EPSILON) {
      // A removed nearest leaves a nearest distance only the whole gallery knows.
      if (nearestRemoved <= face.distance + TIE_EPSILON || nearestAdded <= rule.threshold + TIE_EPSILON) return undefined;
      return { personId: null, distance: Math.min(face.distance, nearestAdded) };
    }
    const reach = face.distance + rule.margin + TIE_EPSILON;
    if (nearestRemoved <= reach || nearestAdded <= reach) return undefined;
    return { personId: face.personId, distance: face.distance };
  }

  /** Distance from `descriptor` to the nearest row of `changed` (Infinity: none). */
  private nearestDistance(changed: Gallery, descriptor: Float32Array): number {
    return changed.match(descriptor, { threshold: Infinity, margin: 0 })?.distance ?? Infinity;
  }
}

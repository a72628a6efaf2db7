import { FaceBox } from './face';
import { ImageStatus } from './image-status';

/** Queue topic of every {@link VisageEvent}: outcomes and erasures (NSQ, or the in-process broker in embedded mode). */
export const OUTCOMES_TOPIC = 'image.outcomes';

/** Final statuses an outcome event can carry. */
export type OutcomeStatus = Extract<ImageStatus, 'processed' | 'unrecognized' | 'failed'>;

/** One face of an image as the event saw it: its person (or none) and the distance to the nearest known face. */
export interface OutcomeEventFace {
  faceId: number;
  personId: number | null;
  personName: string | null;
  /** Distance to the nearest enrolled face (null: the gallery was empty). */
  distance: number | null;
  box: FaceBox;
}

/**
 * An image's final outcome or a change of its identities: a snapshot taken in the transaction that made the
 * change. Schema: docs/events.md.
 */
export interface ImageOutcomeEvent {
  eventId: string;
  type: 'image.outcome';
  imageId: number;
  /** Relative to IMAGES_ROOT. */
  path: string;
  status: OutcomeStatus;
  faces: OutcomeEventFace[];
  /** Gallery version the faces' identities were decided against (for a failure: the version current then). */
  galleryVersion: number;
  /** When the change was committed (ISO 8601, UTC). */
  at: string;
}

/** A person was forgotten (`DELETE /persons/:id`): consumers forget what they keep of them. Ids only, never the name. */
export interface PersonDeletedEvent {
  eventId: string;
  type: 'person.deleted';
  personId: number;
  /** When the deletion was committed (ISO 8601, UTC). */
  at: string;
}

/** An image was forgotten (`DELETE /images/:id`) with its faces: consumers forget them. Ids only, never the path or boxes. */
export interface ImageDeletedEvent {
  eventId: string;
  type: 'image.deleted';
  imageId: number;
  /** When the deletion was committed (ISO 8601, UTC). */
  at: string;
}

/**
 * Published on {@link OUTCOMES_TOPIC} and POSTed to WEBHOOK_URLS, told apart by `type`. Delivered at least once:
 * `eventId` is stable across redeliveries, so consumers drop duplicates by it.
 */
export type VisageEvent = ImageOutcomeEvent | PersonDeletedEvent | ImageDeletedEvent;

/** The `type` of each {@link VisageEvent}. */
export type EventType = VisageEvent['type'];

/** Erasures: written with the deletion, in its transaction. */
export type ErasureEvent = PersonDeletedEvent | ImageDeletedEvent;

import { FaceBox } from './face';
import { ImageStatus } from './image-status';

/** Default queue topic of {@link ImageOutcomeEvent}s (NSQ, or the in-process broker in embedded mode): `OUTCOME_EVENTS_TOPIC`. */
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
 * Published on `OUTCOME_EVENTS_TOPIC` (default {@link OUTCOMES_TOPIC}; and POSTed to WEBHOOK_URLS) for every final outcome of an image and every
 * change of its identities: a snapshot taken in the transaction that made the change. Delivered at least once:
 * `eventId` is stable across redeliveries, so consumers drop duplicates by it. Schema: docs/events.md.
 */
export interface ImageOutcomeEvent {
  eventId: string;
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

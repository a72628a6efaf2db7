import { DataSource } from 'typeorm';
import { IMAGE_STATUSES, ImageStatus } from '@visage/domain';
import { FaceEntity } from './face.entity';
import { ImageEntity } from './image.entity';
import { toFaceBox } from '../shared/box-columns';

/**
 * The read-model building blocks both image read models share (the API's `ImageRepository` and the
 * dashboard's `DashboardImageRepository`): one summary of an image row, one view of a detected face, one count
 * per status. A new read query selects `imageSummaryColumns` and maps with these.
 */

export interface PersonRef {
  id: number;
  name: string;
}

export interface ImageFaceView {
  id: number;
  box: { x: number; y: number; width: number; height: number };
  score: number;
  /** Distance to the nearest known face (of the matched person when there is one); null when unknown. */
  distance: number | null;
  person: PersonRef | null;
  /** Gallery version the person was decided against; null for a face stored without its descriptor. */
  galleryVersion: number | null;
  /** When the person was last decided (first match or re-match). */
  matchedAt: Date | null;
  quality: FaceQualityView;
}

/** The quality rule's verdict on a face when it was stored, and what it judged (null: not measured then). */
export interface FaceQualityView {
  /** Kept and shown, never named, never enrolled. */
  lowQuality: boolean;
  /** `too_small`, `low_score`, `blurred`, `turned_away`, `tilted_up_or_down`. */
  reasons: string[];
  sharpness: number | null;
  yaw: number | null;
  pitch: number | null;
  roll: number | null;
}

export interface ImageSummaryView {
  id: number;
  path: string;
  status: ImageStatus;
  attempts: number;
  lastError: string | null;
  permanentFailure: boolean;
  /** Set while `retrying`: when the next automatic attempt is due. */
  nextAttemptAt: Date | null;
  width: number | null;
  height: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns `toImageSummary` maps, for a query builder whose image alias is `alias`. */
export function imageSummaryColumns(alias: string): string[] {
  return ['id', 'path', 'status', 'attempts', 'lastError', 'permanentFailure', 'nextAttemptAt', 'width', 'height', 'createdAt', 'updatedAt'].map(
    (column) => `${alias}.${column}`,
  );
}

/** The API's and the dashboard's view of an image row. */
export function toImageSummary(image: ImageEntity): ImageSummaryView {
  return {
    id: image.id,
    path: image.path,
    status: image.status,
    attempts: image.attempts,
    lastError: image.lastError,
    permanentFailure: Boolean(image.permanentFailure),
    nextAttemptAt: image.nextAttemptAt ?? null,
    width: image.width,
    height: image.height,
    createdAt: image.createdAt,
    updatedAt: image.updatedAt,
  };
}

/** A detected face loaded with its `person` relation. */
export function toFaceView(face: FaceEntity): ImageFaceView {
  return {
    id: face.id,
    box: toFaceBox(face.box),
    score: face.score,
    distance: face.distance,
    person: face.person ? { id: face.person.id, name: face.person.name } : null,
    galleryVersion: face.galleryVersion,
    matchedAt: face.matchedAt,
    quality: {
      lowQuality: Boolean(face.lowQuality),
      reasons: face.qualityReasons ? face.qualityReasons.split(',') : [],
      sharpness: face.qualitySharpness,
      yaw: face.qualityYaw,
      pitch: face.qualityPitch,
      roll: face.qualityRoll,
    },
  };
}

/** Number of images per status; every status is present (0 when none). */
export async function countImagesByStatus(dataSource: DataSource): Promise<Record<ImageStatus, number>> {
  const rows = await dataSource
    .getRepository(ImageEntity)
    .createQueryBuilder('image')
    .select('image.status', 'status')
    .addSelect('COUNT(*)', 'count')
    .groupBy('image.status')
    .getRawMany<{ status: string; count: string | number }>();
  const counts = Object.fromEntries(IMAGE_STATUSES.map((status) => [status, 0])) as Record<ImageStatus, number>;
  for (const row of rows) {
    if ((IMAGE_STATUSES as readonly string[]).includes(row.status)) counts[row.status as ImageStatus] = Number(row.count);
  }
  return counts;
}

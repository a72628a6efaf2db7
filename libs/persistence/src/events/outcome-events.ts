import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventType, OutcomeStatus } from '@visage/domain';
import { isMysqlFamily } from '../data-source-options';
import { OutcomeEventEntity } from './outcome-event.entity';
import { GALLERY_STATE_ROW } from '../people/gallery-version';
import { placeholders, Statement, toStatement } from '../shared/transactions';

/** The images an outcome transaction writes events for. */
export type OutcomeSelection = { imageIds: readonly number[] } | { facesOfPerson: number };

export interface OutcomeEventOptions {
  /** Only images in one of these statuses (after the change) get an event. */
  statuses: readonly OutcomeStatus[];
  /** Gallery version the identities were decided against; `current`: gallery_state's, inside the transaction. */
  galleryVersion: number | 'current';
}

/** `event_type` of an image's outcome: the rows {@link outcomeEventStatements} write (the column's default). */
export const IMAGE_OUTCOME: EventType = 'image.outcome';

/** The two statements of an outbox write; both run in the transaction of the change they describe. */
export interface OutcomeEventStatements {
  /** One row per selected image (path, status): after the image's status is written. */
  events: Statement;
  /** The faces of those images as they are then: after the faces are written. */
  faces: Statement;
}

/** A version-4 UUID made by SQLite per row (MySQL has UUID()). */
const SQLITE_UUID =
  "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || " +
  "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

/** Statuses an identity change (re-match, review, person deleted) reports: only finished images have an identity. */
export const IDENTITY_STATUSES: readonly OutcomeStatus[] = ['processed', 'unrecognized'];

/**
 * The outbox write of outcome events: appended to the transaction that changes the images' outcome or identity,
 * so an event exists exactly when the change was committed (at least once: the relay publishes it later). Each
 * event is a snapshot of then — status, path, faces with their persons — and its time is the image's
 * `updated_at`, which every such change sets. `eventId` is made by the database, one per row.
 */
export function outcomeEventStatements(dataSource: DataSource, select: OutcomeSelection, options: OutcomeEventOptions): OutcomeEventStatements {
  const batchId = randomUUID();
  const [selection, selectionParameters]: [string, unknown[]] =
    'imageIds' in select
      ? [`images.id IN (${placeholders(select.imageIds.length) || 'NULL'})`, [...select.imageIds]]
      : ['images.id IN (SELECT faces.image_id FROM faces WHERE faces.person_id = ?)', [select.facesOfPerson]];
  const [version, versionParameters]: [string, unknown[]] =
    options.galleryVersion === 'current'
      ? [`COALESCE((SELECT version FROM gallery_state WHERE id = ${GALLERY_STATE_ROW}), 0)`, []]
      : ['?', [Math.trunc(options.galleryVersion)]];
  const uuid = isMysqlFamily(dataSource.options) ? 'UUID()' : SQLITE_UUID;
  return {
    events: [
      'INSERT INTO outcome_events (event_id, batch_id, image_id, path, status, gallery_version, created_at) ' +
        `SELECT ${uuid}, ?, images.id, images.path, images.status, ${version}, images.updated_at FROM images ` +
        `WHERE ${selection} AND images.status IN (${placeholders(options.statuses.length)})`,
      [batchId, ...versionParameters, ...selectionParameters, ...options.statuses],
    ],
    faces: [
      'INSERT INTO outcome_event_faces (event_row_id, face_id, person_id, person_name, distance, box_x, box_y, box_width, box_height) ' +
        'SELECT outcome_events.id, faces.id, faces.person_id, persons.name, faces.distance, faces.box_x, faces.box_y, faces.box_width, faces.box_height ' +
        'FROM outcome_events INNER JOIN faces ON faces.image_id = outcome_events.image_id LEFT JOIN persons ON persons.id = faces.person_id ' +
        'WHERE outcome_events.batch_id = ?',
      [batchId],
    ],
  };
}

/** Both statements, for a transaction whose changes are all written before them. */
export function recordOutcomeEvents(dataSource: DataSource, select: OutcomeSelection, options: OutcomeEventOptions): Statement[] {
  const { events, faces } = outcomeEventStatements(dataSource, select, options);
  return [events, faces];
}

/** What an erasure event names: the person or the image forgotten. */
export type ErasedSubject = { personId: number } | { imageId: number };

/**
 * The outbox row of an erasure, `person.deleted` or `image.deleted`, appended to the deletion's transaction (the
 * relay publishes it like an outcome): ids only, never the name, the path or the boxes, so consumers can forget
 * too without being told again what they forget.
 */
export function erasureEventStatement(dataSource: DataSource, subject: ErasedSubject, at: Date): Statement {
  const eventType: EventType = 'personId' in subject ? 'person.deleted' : 'image.deleted';
  return toStatement(
    dataSource
      .createQueryBuilder()
      .insert()
      .into(OutcomeEventEntity)
      .values({
        eventId: randomUUID(),
        batchId: randomUUID(),
        eventType,
        personId: 'personId' in subject ? subject.personId : null,
        imageId: 'imageId' in subject ? subject.imageId : null,
        createdAt: at,
      })
      .updateEntity(false),
  );
}

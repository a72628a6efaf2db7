import { DataSource } from 'typeorm';
import { sqliteConnection } from '../data-source-options';
import { IMAGE_OUTCOME } from './outcome-events';
import { KNOWN_SOURCE_PREFIX } from './person-image.repository';
import { Statement } from './transactions';

/**
 * What forgetting a person adds to its transaction, besides the rows that go by cascade:
 * - a tombstone of each known-faces file it was enrolled from (content hash only), so start-up does not enrol the
 *   same file again as a new person;
 * - its name out of the outcome-event outbox (face snapshots of earlier events) and its audit rows' details (the
 *   name it was created with, the paths it was enrolled from); the rows keep ids, which name nobody any more.
 * The `person.deleted` event ({@link erasureEventStatement}) is written once the person row is deleted.
 */
export function forgetPersonStatements(personId: number): Statement[] {
  return [
    [
      'INSERT INTO forgotten_known_faces (content_hash) SELECT DISTINCT known.content_hash FROM person_images known ' +
        'WHERE known.person_id = ? AND known.source_name LIKE ? ' +
        'AND NOT EXISTS (SELECT 1 FROM forgotten_known_faces forgotten WHERE forgotten.content_hash = known.content_hash)',
      [personId, `${KNOWN_SOURCE_PREFIX}%`],
    ],
    ['UPDATE outcome_event_faces SET person_name = NULL, person_id = NULL WHERE person_id = ?', [personId]],
    ['UPDATE audit_events SET details = NULL WHERE target = ?', [`person:${personId}`]],
  ];
}

/**
 * What forgetting an image adds: its outcome events (path, boxes, names; their faces and deliveries cascade) go.
 * The `image.deleted` event ({@link erasureEventStatement}) is written after these.
 */
export function forgetImageStatements(imageId: number): Statement[] {
  return [
    ['DELETE FROM outcome_events WHERE image_id = ? AND event_type = ?', [imageId, IMAGE_OUTCOME]],
    ['UPDATE audit_events SET details = NULL WHERE target = ?', [`image:${imageId}`]],
  ];
}

/**
 * After an erasure on SQLite: `secure_delete` (set on every connection) has zeroed the freed pages of the main
 * file; the write-ahead log still holds the old page images until a checkpoint copies and truncates it. Best
 * effort: a reader holding an old snapshot (another app's connection) can keep part of it until the next one.
 */
export function checkpointAfterErasure(dataSource: DataSource): void {
  if (dataSource.options.type !== 'better-sqlite3') return;
  sqliteConnection(dataSource).pragma('wal_checkpoint(TRUNCATE)');
}

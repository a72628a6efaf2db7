import { DataSource } from 'typeorm';
import { sqliteConnection } from '../data-source-options';
import { IMAGE_OUTCOME } from '../events/outcome-events';
import { KNOWN_SOURCE_PREFIX } from '../people/person-image.repository';
import { placeholders, Statement } from './transactions';

/** Audit action of a merge (the receiver's): its row (target `person:<merged id>`) names the person kept as `into`. */
const PERSON_MERGED = 'person.merged';
const PERSON_TARGET = 'person:';

/**
 * The persons merged into `personId`, directly or through a person merged into it (read from the merge audit
 * rows): the same human under other names, forgotten with it.
 */
export async function mergedPersonIds(dataSource: DataSource, personId: number): Promise<number[]> {
  const found = new Set<number>();
  let into = [personId];
  while (into.length > 0) {
    const rows = (await dataSource.query(
      `SELECT target FROM audit_events WHERE action = ? AND json_extract(details, '$.into') IN (${placeholders(into.length)})`,
      [PERSON_MERGED, ...into],
    )) as Array<{ target: string }>;
    into = rows
      .map((row) => Number(row.target.slice(PERSON_TARGET.length)))
      .filter((id) => Number.isInteger(id) && id !== personId && !found.has(id));
    for (const id of into) found.add(id);
  }
  return [...found];
}

/**
 * What forgetting a person adds to its transaction, besides the rows that go by cascade:
 * - a tombstone of each known-faces file it was enrolled from (content hash only), so start-up does not enrol the
 *   same file again as a new person;
 * - its name out of the outcome-event outbox (face snapshots of earlier events) and its audit rows' details (the
 *   name it was created with, the paths it was enrolled from), and so the names of the persons merged into it
 *   (`merged`, {@link mergedPersonIds}); the rows keep ids, which name nobody any more.
 * The `person.deleted` event ({@link erasureEventStatement}) is written once the person row is deleted.
 */
export function forgetPersonStatements(personId: number, merged: readonly number[] = []): Statement[] {
  const persons = [personId, ...merged];
  return [
    [
      'INSERT INTO forgotten_known_faces (content_hash) SELECT DISTINCT known.content_hash FROM person_images known ' +
        'WHERE known.person_id = ? AND known.source_name LIKE ? ' +
        'AND NOT EXISTS (SELECT 1 FROM forgotten_known_faces forgotten WHERE forgotten.content_hash = known.content_hash)',
      [personId, `${KNOWN_SOURCE_PREFIX}%`],
    ],
    [`UPDATE outcome_event_faces SET person_name = NULL, person_id = NULL WHERE person_id IN (${placeholders(persons.length)})`, persons],
    [`UPDATE audit_events SET details = NULL WHERE target IN (${placeholders(persons.length)})`, persons.map((id) => `${PERSON_TARGET}${id}`)],
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

import { DataSource } from 'typeorm';
import { isMysqlFamily } from '../data-source-options';
import { GalleryStateEntity } from './gallery-state.entity';
import { ImageEntity } from '../images/image.entity';
import { placeholders, Statement, toStatement } from '../shared/transactions';

/** Id of the one gallery_state row. */
export const GALLERY_STATE_ROW = 1;

/**
 * Added to every transaction that changes the gallery (enrolment added or removed, person deleted). An upsert,
 * so a schema created from the entities (tests) works without the row the migration inserts.
 */
export function bumpGalleryVersion(dataSource: DataSource): Statement {
  const conflict = isMysqlFamily(dataSource.options)
    ? 'ON DUPLICATE KEY UPDATE version = version + 1'
    : 'ON CONFLICT (id) DO UPDATE SET version = version + 1';
  return [`INSERT INTO gallery_state (id, version) VALUES (?, 1) ${conflict}`, [GALLERY_STATE_ROW]];
}

/**
 * Logs the enrolments selected by `where` as added or removed by the current version: run after
 * {@link bumpGalleryVersion} in the same transaction (before a delete, after an insert).
 */
export function logGalleryChanges(
  where: { sourceName: string } | { ids: number[] } | { personId: number } | { movedFrom: number },
  removed: boolean,
): Statement {
  const [condition, parameters]: [string, unknown[]] =
    'sourceName' in where
      ? ['source_name = ?', [where.sourceName]]
      : 'ids' in where
        ? [`id IN (${placeholders(where.ids.length)})`, where.ids]
        : 'personId' in where
          ? ['person_id = ?', [where.personId]]
          : // The enrolments this version logged as removed from `movedFrom` (a merge moved them): logged again as added.
            [
              'id IN (SELECT person_image_id FROM gallery_changes WHERE version = (SELECT version FROM gallery_state WHERE id = ?) AND person_id = ? AND removed = 1)',
              [GALLERY_STATE_ROW, where.movedFrom],
            ];
  return [
    'INSERT INTO gallery_changes (version, person_image_id, person_id, descriptor, descriptor_recipe, removed) ' +
      `SELECT (SELECT version FROM gallery_state WHERE id = ?), id, person_id, descriptor, descriptor_recipe, ? FROM person_images WHERE ${condition}`,
    [GALLERY_STATE_ROW, removed ? 1 : 0, ...parameters],
  ];
}

/**
 * Erasure: the enrolments selected by `where` leave the gallery without a trace of their descriptors. The
 * version moves, their change-log rows (which hold the descriptors) are deleted instead of a removal being
 * logged, and the log restarts at the new version, so every face matched before it is re-matched against the
 * whole remaining gallery (exact, slower than from the log). Run before deleting the enrolments, in one
 * transaction.
 */
export function forgetEnrolments(dataSource: DataSource, where: { ids: number[] } | { personId: number }): Statement[] {
  const [condition, parameters]: [string, unknown[]] =
    'ids' in where ? [`person_image_id IN (${placeholders(where.ids.length)})`, where.ids] : ['person_id = ?', [where.personId]];
  return [
    bumpGalleryVersion(dataSource),
    [`DELETE FROM gallery_changes WHERE ${condition}`, parameters],
    ['UPDATE gallery_state SET changes_from = version WHERE id = ?', [GALLERY_STATE_ROW]],
  ];
}

/** Enrolments removed by id, as the gallery requires: version bumped, their removal logged, the rows deleted. */
export function removeEnrolments(dataSource: DataSource, ids: number[]): Statement[] {
  return [
    bumpGalleryVersion(dataSource),
    logGalleryChanges({ ids }, true),
    [`DELETE FROM person_images WHERE id IN (${placeholders(ids.length)})`, ids],
  ];
}

export async function readGalleryVersion(dataSource: DataSource): Promise<number> {
  const row = await dataSource.getRepository(GalleryStateEntity).findOne({ where: { id: GALLERY_STATE_ROW }, select: { version: true } });
  return row?.version ?? 0;
}

/**
 * `processed` when at least one face of the image names a person (other than `ignorePersonId`, about to be
 * deleted), `unrecognized` otherwise. Selects the images by `imageIds`, or by "has a face of `ignorePersonId`".
 * Only finished images change (a pending or processing one gets its status from its next run); `updated_at`
 * moves so the dashboard's "changed since" poll shows the new identity.
 */
export function recomputeImageStatuses(dataSource: DataSource, select: { imageIds: number[] } | { personId: number }, now: Date): Statement {
  const ignored = 'personId' in select ? ' AND faces.person_id <> :personId' : '';
  const builder = dataSource
    .createQueryBuilder()
    .update(ImageEntity)
    .set({
      status: () =>
        `CASE WHEN EXISTS (SELECT 1 FROM faces WHERE faces.image_id = images.id AND faces.person_id IS NOT NULL${ignored}) THEN 'processed' ELSE 'unrecognized' END`,
      updatedAt: now,
    })
    .where("status IN ('processed', 'unrecognized')");
  if ('personId' in select)
    builder.andWhere('id IN (SELECT faces.image_id FROM faces WHERE faces.person_id = :personId)', { personId: select.personId });
  else builder.andWhere('id IN (:...imageIds)', { imageIds: select.imageIds });
  return toStatement(builder);
}

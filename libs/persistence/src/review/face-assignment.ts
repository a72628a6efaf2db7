import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { isMysqlFamily } from '../data-source-options';
import { FaceEntity } from '../images/face.entity';
import { PersonImageEntity } from '../people/person-image.entity';
import { bumpGalleryVersion, GALLERY_STATE_ROW, logGalleryChanges, recomputeImageStatuses } from '../people/gallery-version';
import { IDENTITY_STATUSES, recordOutcomeEvents } from '../events/outcome-events';
import { auditIfInserted, auditStatement, AuditRecord, AuditSqlValue } from '../access/audit.repository';
import { PersistenceError } from '../shared/database-errors';
import { Statement, toStatement, TransactionStep } from '../shared/transactions';
import { personNameKey } from '../person-name';

/** `source_name` of a face enrolled from the review ("This is …", naming a group): `review:<faceId>`. */
export const REVIEW_SOURCE_PREFIX = 'review:';

export function reviewSourceName(faceId: number): string {
  return `${REVIEW_SOURCE_PREFIX}${faceId}`;
}

/** Who a face is assigned to: an existing person, or a name (the person is created when new). */
export type AssignTarget = { personId: number } | { name: string };

export interface AssignFacesOptions {
  /** Faces of the same group left out of the naming: rejected for the person and kept out of grouping. */
  leftOut?: readonly number[];
  /** The audit row of the person when the transaction creates it (a target given by a new name), naming its id. */
  personCreated?: (personId: number) => AuditRecord;
  now?: Date;
}

/** What naming faces writes: the faces (with their stored descriptors) and the images they are in. */
export interface Assignment {
  faces: ReadonlyArray<Pick<FaceEntity, 'id' | 'imageId' | 'descriptor'>>;
  imageIds: number[];
  target: AssignTarget;
  /** The first statement: it must change exactly one row, else the transaction changes nothing. */
  guard: Statement;
  audit?: AuditRecord;
  options: AssignFacesOptions & { now: Date };
}

/**
 * The transaction of naming faces (`FaceReviewRepository.assignFaces`): the person created by name when new, the
 * gallery version bumped, each face enrolled (`review:<faceId>`) and named, its rejection of that person lifted
 * and its group left; the left-out faces rejected for the person and kept out of grouping; the images' statuses,
 * outcome events and the audit row.
 */
export function assignmentStatements(dataSource: DataSource, { faces, imageIds, target, guard, audit, options }: Assignment): TransactionStep[] {
  const now = options.now;
  // By key, not `name = ?`: MySQL's collation would also match names differing in case or accents.
  const [personRef, personParams]: [string, unknown[]] =
    'personId' in target ? ['?', [target.personId]] : ['(SELECT id FROM persons WHERE name_key = ?)', [personNameKey(target.name)]];
  const statements: TransactionStep[] = [guard];
  const insertIfNew = isMysqlFamily(dataSource.options) ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
  if ('name' in target) {
    statements.push([`${insertIfNew} INTO persons (name, name_key) VALUES (?, ?)`, [target.name, personNameKey(target.name)]]);
    if (options.personCreated) statements.push(auditIfInserted(statements.length - 1, options.personCreated));
    // Ignored because a name differing only in case exists (created since the caller checked): nothing changes.
    // HEX compares the bytes on both dialects (MySQL's `=` follows the column's case-insensitive collation).
    const exactName =
      statements.push(['UPDATE persons SET name = name WHERE name_key = ? AND HEX(name) = HEX(?)', [personNameKey(target.name), target.name]]) - 1;
    statements.push((previous) => {
      if (previous[exactName]?.affected !== 1) throw new PersistenceError('duplicate_name');
      return undefined;
    });
  }
  statements.push(bumpGalleryVersion(dataSource));
  for (const face of faces) {
    const source = { sourceName: reviewSourceName(face.id) };
    statements.push(
      logGalleryChanges(source, true),
      toStatement(dataSource.createQueryBuilder().delete().from(PersonImageEntity).where('source_name = :sourceName', source)),
      [
        `INSERT INTO person_images (person_id, source_name, content_hash, descriptor, descriptor_recipe) SELECT ${personRef}, ?, ?, descriptor, descriptor_recipe FROM faces WHERE id = ? AND descriptor IS NOT NULL`,
        [
          ...personParams,
          source.sourceName,
          createHash('sha256')
            .update(face.descriptor ?? Buffer.alloc(0))
            .digest('hex'),
          face.id,
        ],
      ],
      logGalleryChanges(source, false),
      [`DELETE FROM face_rejections WHERE face_id = ? AND person_id = ${personRef}`, [face.id, ...personParams]],
      // Named now: out of its group of unknown faces (the clustering job recomputes the group's centroid).
      ['UPDATE face_clusters SET size = size - 1, dirty = 1 WHERE id = (SELECT cluster_id FROM cluster_members WHERE face_id = ?)', [face.id]],
      ['DELETE FROM cluster_members WHERE face_id = ?', [face.id]],
      toStatement(
        dataSource
          .createQueryBuilder()
          .update(FaceEntity)
          .set({
            personId: () => ('personId' in target ? ':assignedPersonId' : '(SELECT id FROM persons WHERE name_key = :assignedNameKey)'),
            // Its own enrolment is the nearest known face: what the re-match would decide against this version.
            distance: 0,
            galleryVersion: () => `(SELECT version FROM gallery_state WHERE id = ${GALLERY_STATE_ROW})`,
            matchedAt: now,
          })
          .where('id = :faceId', { faceId: face.id })
          .setParameters('personId' in target ? { assignedPersonId: target.personId } : { assignedNameKey: personNameKey(target.name) }),
      ),
    );
  }
  for (const faceId of options.leftOut ?? []) {
    statements.push(
      [`${insertIfNew} INTO face_rejections (face_id, person_id) SELECT ?, ${personRef}`, [faceId, ...personParams]],
      [`${insertIfNew} INTO cluster_members (face_id, cluster_id) VALUES (?, NULL)`, [faceId]],
    );
  }
  if (imageIds.length > 0) {
    statements.push(
      recomputeImageStatuses(dataSource, { imageIds }, now),
      ...recordOutcomeEvents(dataSource, { imageIds }, { statuses: IDENTITY_STATUSES, galleryVersion: 'current' }),
    );
  }
  if (audit) {
    const personId: number | AuditSqlValue = 'personId' in target ? target.personId : { sql: personRef, parameters: personParams };
    statements.push(auditStatement({ ...audit, details: { ...audit.details, personId } }));
  }
  return statements;
}

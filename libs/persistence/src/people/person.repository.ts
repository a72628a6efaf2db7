import { Injectable } from '@nestjs/common';
import { DataSource, Repository, SelectQueryBuilder } from 'typeorm';
import { FaceEntity } from '../images/face.entity';
import { PersonEntity } from './person.entity';
import { PersonImageEntity } from './person-image.entity';
import { isMysqlFamily } from '../data-source-options';
import { AuditRecord, auditIfChanged, auditInsertedRow, auditStatement } from '../access/audit.repository';
import { comparePersons, personNameKey } from '../person-name';
import { PersonRef } from '../images/image-views';
import { isUniqueViolation, PersistenceError } from '../shared/database-errors';
import { checkpointAfterErasure, forgetPersonStatements, mergedPersonIds } from '../shared/erasure';
import { bumpGalleryVersion, forgetEnrolments, logGalleryChanges, readGalleryVersion, recomputeImageStatuses } from './gallery-version';
import { erasureEventStatement, IDENTITY_STATUSES, outcomeEventStatements, recordOutcomeEvents } from '../events/outcome-events';
import { ifChanged, runInTransaction, toStatement, TransactionStep } from '../shared/transactions';

export interface PersonView {
  id: number;
  name: string;
  createdAt: Date;
  /** Detected faces (in processed images) matched to this person. */
  faceCount: number;
  /** Enrolled reference faces (known faces) of this person. */
  knownFaceCount: number;
}

/** What a merge did: the person that remains (with its new counts) and what moved to it. */
export interface MergeResult {
  person: PersonView;
  mergedPerson: { id: number; name: string };
  /** Enrolments and named faces the merged person had (as counted just before the merge). */
  movedEnrolments: number;
  movedFaces: number;
  galleryVersion: number;
}

export type CreatePersonResult = { created: true; person: PersonView } | { created: false; existing: PersonRef };
export type RenamePersonResult = { renamed: true; person: PersonView } | { renamed: false; existing: PersonRef };

interface PersonRow {
  id: number | string;
  name: string;
  createdAt: Date | string;
  faceCount: number | string;
  knownFaceCount: number | string;
}

/** Persons with their counts, computed by correlated subqueries (both use an index on person_id). */
@Injectable()
export class PersonRepository {
  private readonly persons: Repository<PersonEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.persons = dataSource.getRepository(PersonEntity);
  }

  async list(): Promise<PersonView[]> {
    const rows = await this.selectWithCounts().getRawMany<PersonRow>();
    return rows.map((row) => this.toView(row)).sort(comparePersons);
  }

  async findById(id: number): Promise<PersonView | undefined> {
    const row = await this.selectWithCounts().where('person.id = :id', { id }).getRawOne<PersonRow>();
    return row ? this.toView(row) : undefined;
  }

  /** The person whose name equals `name` ignoring case ({@link personNameKey}), if any. */
  async findByNameIgnoringCase(name: string): Promise<PersonRef | undefined> {
    return findPersonByNameKey(this.dataSource, name);
  }

  /**
   * The unique index on `name_key` decides duplicates (names ignore case); the existing person comes back for a
   * 409 (`PersistenceError('duplicate_name')` if it was deleted before it could be read). `audit`: its row, in the
   * same transaction.
   */
  async create(name: string, audit?: (personId: number) => AuditRecord): Promise<CreatePersonResult> {
    try {
      const results = await runInTransaction(this.dataSource, [
        toStatement(
          this.persons
            .createQueryBuilder()
            .insert()
            .values({ name, nameKey: personNameKey(name) })
            .updateEntity(false),
        ),
        ...(audit ? [auditInsertedRow(0, audit)] : []),
      ]);
      const id = results?.[0].insertId;
      if (id === undefined) throw new Error('the database returned no id for the new person');
      const person = await this.findById(id);
      if (!person) throw new Error('created person vanished');
      return { created: true, person };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The holder of the name deleted before it could be read: still a duplicate at the time, said with our code.
      const existing = await this.findByNameIgnoringCase(name);
      if (!existing) throw new PersistenceError('duplicate_name');
      return { created: false, existing };
    }
  }

  /**
   * Renames a person (name and key). A name another person holds, also differing only in case, is refused with that
   * person; a change of case of the person's own name is a rename. Undefined: no such person. `audit`: its row, in
   * the same transaction, when the person was there. Outcome events read names when written, so later ones carry it.
   */
  async rename(id: number, name: string, audit?: AuditRecord): Promise<RenamePersonResult | undefined> {
    try {
      await runInTransaction(this.dataSource, [
        ['UPDATE persons SET name = ?, name_key = ? WHERE id = ?', [name, personNameKey(name), id]],
        ...(audit ? [auditIfChanged(0, audit)] : []),
      ]);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The holder of the name deleted before it could be read: still a duplicate at the time, said with our code.
      const existing = await this.findByNameIgnoringCase(name);
      if (!existing) throw new PersistenceError('duplicate_name');
      return { renamed: false, existing };
    }
    const person = await this.findById(id);
    return person ? { renamed: true, person } : undefined;
  }

  /**
   * Forgets a person in one transaction: the images naming them get their status recomputed without them,
   * enrolled faces go with them (cascade) and their descriptors leave the change log ({@link forgetEnrolments}),
   * matched faces keep their box but lose the person (set null), "Not <name>" rows go (cascade), and the
   * gallery version moves, so the re-match job looks at every face again against the remaining gallery. Its
   * known-faces files are tombstoned and its name, and those of the persons merged into it, leave the outbox and the
   * audit log ({@link forgetPersonStatements}),
   * and a `person.deleted` event (its id only) is written for consumers to forget them too.
   * `audit`: its row (ids only), in the same transaction, if the person was still there to delete.
   */
  async delete(id: number, audit?: AuditRecord): Promise<boolean> {
    if (!(await this.persons.exist({ where: { id } }))) return false;
    const now = new Date();
    const forget = forgetEnrolments(this.dataSource, { personId: id });
    // Their images' events are chosen while the faces still name them, and their faces snapshotted once unnamed.
    const outcome = outcomeEventStatements(this.dataSource, { facesOfPerson: id }, { statuses: IDENTITY_STATUSES, galleryVersion: 'current' });
    const erasure = forgetPersonStatements(id, await mergedPersonIds(this.dataSource, id));
    const deletion = 2 + erasure.length + forget.length;
    const results = await runInTransaction(this.dataSource, [
      ...erasure,
      recomputeImageStatuses(this.dataSource, { personId: id }, now),
      ...forget,
      outcome.events,
      toStatement(this.persons.createQueryBuilder().delete().where('id = :id', { id })),
      outcome.faces,
      ifChanged(deletion, erasureEventStatement(this.dataSource, { personId: id }, now)),
      ...(audit ? [auditIfChanged(deletion, audit)] : []),
    ]);
    const deleted = (results?.[deletion].affected ?? 0) > 0;
    if (deleted) checkpointAfterErasure(this.dataSource);
    return deleted;
  }

  /**
   * Merges person `sourceId` into `intoId` in one transaction: the source's enrolments move (their removal from
   * the source and addition to the target logged at the new gallery version, so the re-match job looks again at
   * every face they decided), its named faces and its "Not <name>" rejections move, a face named after one of the
   * two but rejected for the other is unnamed (the re-match matches it again without them), the source is deleted.
   * Either person gone meanwhile: `PersistenceError('person_deleted')`, nothing changed (thrown inside the transaction,
   * which rolls it back). `audit`: its row, in the same transaction.
   */
  async merge(sourceId: number, intoId: number, audit?: AuditRecord, now = new Date()): Promise<MergeResult> {
    const counts = await this.findById(sourceId);
    if (!counts) throw new PersistenceError('person_deleted');
    // A face named after one of the two but rejected for the other: after the merge it must not be named either.
    const crossRejected =
      '((faces.person_id = ? AND faces.id IN (SELECT face_id FROM face_rejections WHERE person_id = ?)) OR ' +
      '(faces.person_id = ? AND faces.id IN (SELECT face_id FROM face_rejections WHERE person_id = ?)))';
    const crossParameters = [sourceId, intoId, intoId, sourceId];
    const affectedImages = await this.dataSource.query<Array<{ imageId: number | string }>>(
      `SELECT DISTINCT faces.image_id AS imageId FROM faces WHERE faces.person_id = ? OR ${crossRejected}`,
      [sourceId, ...crossParameters],
    );
    const imageIds = affectedImages.map((row) => Number(row.imageId));
    const insertIfNew = isMysqlFamily(this.dataSource.options) ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    const statements: TransactionStep[] = [
      // Guard: the source is still there (an UPDATE that changes nothing still counts the row it matched, and locks it).
      ['UPDATE persons SET name = name WHERE id = ?', [sourceId]],
      // So is the target (locked likewise until the merge commits), else everything rolls back.
      ['UPDATE persons SET name = name WHERE id = ?', [intoId]],
      (previous) => {
        if (previous[1]?.affected !== 1) throw new PersistenceError('person_deleted');
        return undefined;
      },
      bumpGalleryVersion(this.dataSource),
      logGalleryChanges({ personId: sourceId }, true),
      ['UPDATE person_images SET person_id = ? WHERE person_id = ?', [intoId, sourceId]],
      logGalleryChanges({ movedFrom: sourceId }, false),
      [`UPDATE faces SET person_id = NULL, distance = NULL, gallery_version = 0 WHERE ${crossRejected}`, crossParameters],
      [`${insertIfNew} INTO face_rejections (face_id, person_id) SELECT face_id, ? FROM face_rejections WHERE person_id = ?`, [intoId, sourceId]],
      ['UPDATE faces SET person_id = ? WHERE person_id = ?', [intoId, sourceId]],
    ];
    if (imageIds.length > 0) {
      statements.push(
        recomputeImageStatuses(this.dataSource, { imageIds }, now),
        ...recordOutcomeEvents(this.dataSource, { imageIds }, { statuses: IDENTITY_STATUSES, galleryVersion: 'current' }),
      );
    }
    statements.push(['DELETE FROM persons WHERE id = ?', [sourceId]]);
    if (audit) statements.push(auditStatement(audit));
    if ((await runInTransaction(this.dataSource, statements, { guarded: true })) === undefined) throw new PersistenceError('person_deleted');
    const person = await this.findById(intoId);
    if (!person) throw new PersistenceError('person_deleted');
    return {
      person,
      mergedPerson: { id: sourceId, name: counts.name },
      movedEnrolments: counts.knownFaceCount,
      movedFaces: counts.faceCount,
      galleryVersion: await readGalleryVersion(this.dataSource),
    };
  }

  private selectWithCounts(): SelectQueryBuilder<PersonEntity> {
    return this.persons
      .createQueryBuilder('person')
      .select('person.id', 'id')
      .addSelect('person.name', 'name')
      .addSelect('person.createdAt', 'createdAt')
      .addSelect((sub) => sub.select('COUNT(*)').from(FaceEntity, 'face').where('face.person_id = person.id'), 'faceCount')
      .addSelect((sub) => sub.select('COUNT(*)').from(PersonImageEntity, 'known').where('known.person_id = person.id'), 'knownFaceCount');
  }

  private toView(row: PersonRow): PersonView {
    return {
      id: Number(row.id),
      name: row.name,
      // Raw rows bypass entity hydration: SQLite returns the datetime as text, in UTC.
      createdAt: row.createdAt instanceof Date ? row.createdAt : new Date(`${row.createdAt.replace(' ', 'T')}Z`),
      faceCount: Number(row.faceCount),
      knownFaceCount: Number(row.knownFaceCount),
    };
  }
}

/** The person whose name equals `name` ignoring case, if any (shared by the repositories that name persons). */
export async function findPersonByNameKey(dataSource: DataSource, name: string): Promise<PersonRef | undefined> {
  const person = await dataSource.getRepository(PersonEntity).findOne({ where: { nameKey: personNameKey(name) }, select: { id: true, name: true } });
  return person ? { id: person.id, name: person.name } : undefined;
}

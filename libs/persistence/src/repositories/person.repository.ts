import { Injectable } from '@nestjs/common';
import { DataSource, Repository, SelectQueryBuilder } from 'typeorm';
import { FaceEntity, PersonEntity, PersonImageEntity } from '../entities';
import { AuditRecord, auditIfChanged, auditInsertedRow } from './audit.repository';
import { isUniqueViolation } from './database-errors';
import { checkpointAfterErasure, forgetPersonStatements } from './erasure';
import { forgetEnrolments, recomputeImageStatuses } from './gallery-version';
import { IDENTITY_STATUSES, outcomeEventStatements } from './outcome-events';
import { runInTransaction, toStatement } from './transactions';

export interface PersonView {
  id: number;
  name: string;
  createdAt: Date;
  /** Detected faces (in processed images) matched to this person. */
  faceCount: number;
  /** Enrolled reference faces (known faces) of this person. */
  knownFaceCount: number;
}

export type CreatePersonResult = { created: true; person: PersonView } | { created: false; existingId: number };

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
    const rows = await this.selectWithCounts().orderBy('person.name', 'ASC').addOrderBy('person.id', 'ASC').getRawMany<PersonRow>();
    return rows.map((row) => this.toView(row));
  }

  async findById(id: number): Promise<PersonView | undefined> {
    const row = await this.selectWithCounts().where('person.id = :id', { id }).getRawOne<PersonRow>();
    return row ? this.toView(row) : undefined;
  }

  /** Unique index on `name` decides duplicates; the existing id comes back for a 409. `audit`: its row, in the same transaction. */
  async create(name: string, audit?: (personId: number) => AuditRecord): Promise<CreatePersonResult> {
    try {
      const results = await runInTransaction(this.dataSource, [
        toStatement(this.persons.createQueryBuilder().insert().values({ name }).updateEntity(false)),
        ...(audit ? [auditInsertedRow(0, audit)] : []),
      ]);
      const id = results?.[0].insertId;
      if (id === undefined) throw new Error('the database returned no id for the new person');
      const person = await this.findById(id);
      if (!person) throw new Error('created person vanished');
      return { created: true, person };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.persons.findOne({ where: { name }, select: { id: true } });
      if (!existing) throw error;
      return { created: false, existingId: existing.id };
    }
  }

  /**
   * Forgets a person in one transaction: the images naming them get their status recomputed without them,
   * enrolled faces go with them (cascade) and their descriptors leave the change log ({@link forgetEnrolments}),
   * matched faces keep their box but lose the person (set null), "Not <name>" rows go (cascade), and the
   * gallery version moves, so the re-match job looks at every face again against the remaining gallery. Its
   * known-faces files are tombstoned and its name leaves the outbox and the audit log ({@link forgetPersonStatements}).
   * `audit`: its row (ids only), in the same transaction, if the person was still there to delete.
   */
  async delete(id: number, audit?: AuditRecord): Promise<boolean> {
    if (!(await this.persons.exist({ where: { id } }))) return false;
    const forget = forgetEnrolments(this.dataSource, { personId: id });
    // Their images' events are chosen while the faces still name them, and their faces snapshotted once unnamed.
    const outcome = outcomeEventStatements(this.dataSource, { facesOfPerson: id }, { statuses: IDENTITY_STATUSES, galleryVersion: 'current' });
    const erasure = forgetPersonStatements(id);
    const deletion = 2 + erasure.length + forget.length;
    const results = await runInTransaction(this.dataSource, [
      ...erasure,
      recomputeImageStatuses(this.dataSource, { personId: id }, new Date()),
      ...forget,
      outcome.events,
      toStatement(this.persons.createQueryBuilder().delete().where('id = :id', { id })),
      outcome.faces,
      ...(audit ? [auditIfChanged(deletion, audit)] : []),
    ]);
    const deleted = (results?.[deletion].affected ?? 0) > 0;
    if (deleted) checkpointAfterErasure(this.dataSource);
    return deleted;
  }

  private selectWithCounts(): SelectQueryBuilder<PersonEntity> {
    return this.persons
      .createQueryBuilder('person')
      .select('person.id', 'id')
      .addSelect('person.name', 'name')
      .addSelect('person.createdAt', 'createdAt')
      .addSelect(
        (sub) => sub.select('COUNT(*)').from(FaceEntity, 'face').where('face.person_id = person.id'),
        'faceCount',
      )
      .addSelect(
        (sub) => sub.select('COUNT(*)').from(PersonImageEntity, 'known').where('known.person_id = person.id'),
        'knownFaceCount',
      );
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

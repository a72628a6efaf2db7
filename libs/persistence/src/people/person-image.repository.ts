import { Inject, Injectable, Optional } from '@nestjs/common';
import { DescriptorRecipe } from '@visage/domain';
import { DataSource, Raw } from 'typeorm';
import { PersonEntity } from './person.entity';
import { PersonImageEntity } from './person-image.entity';
import { ForgottenKnownFaceEntity } from './forgotten-known-face.entity';
import { AuditRecord, auditIfChanged, auditInsertedRow } from '../access/audit.repository';
import { isUniqueViolation, PersistenceError, rethrowPersonDeleted } from '../shared/database-errors';
import { bumpGalleryVersion, logGalleryChanges, readGalleryVersion, removeEnrolments } from './gallery-version';
import {
  CONFIGURED_DESCRIPTOR_RECIPE,
  decodeDescriptor,
  decodeRecipe,
  encodeDescriptor,
  UNCONFIGURED_DESCRIPTOR_RECIPE,
} from '../shared/descriptor-codec';
import { runInTransaction, toStatement } from '../shared/transactions';
import { LIKE_ESCAPE, likePrefix } from '../shared/like-pattern';
import { personNameKey } from '../person-name';
import { PersonRef } from '../images/image-views';
import { findPersonByNameKey } from './person.repository';

/** `source_name` of an image from KNOWN_FACES_DIR, and of one enrolled through the API (path under IMAGES_ROOT). */
export const KNOWN_SOURCE_PREFIX = 'known:';
export const PATH_SOURCE_PREFIX = 'path:';

export interface EnrolmentRecord {
  id: number;
  personId: number;
  sourceName: string;
  contentHash: string;
  recipe: DescriptorRecipe;
}

export interface NewEnrolment {
  personId: number;
  sourceName: string;
  contentHash: string;
  descriptor: Float32Array;
  /** How the recognizer computed `descriptor`. */
  recipe: DescriptorRecipe;
}

export interface GalleryRow {
  /** The enrolment (person_images.id). */
  id: number;
  sourceName: string;
  personId: number;
  personName: string;
  descriptor: Float32Array;
}

/** Every enrolled descriptor as of one gallery version. */
export interface GallerySnapshotRows {
  version: number;
  entries: GalleryRow[];
}

/** A person created by name loses a race at most this often before giving up (see findOrCreatePerson). */
const CREATE_PERSON_ATTEMPTS = 2;

/** A gallery load that keeps racing enrolments gives up after this many tries (each one sees a newer version). */
const SNAPSHOT_ATTEMPTS = 5;

/**
 * Enrolled faces (person_images) and the persons they belong to: what the enrolment writes and the matcher's
 * gallery reads. Every change bumps the gallery version and is logged (gallery_changes) in the same transaction.
 */
@Injectable()
export class PersonImageRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional() @Inject(CONFIGURED_DESCRIPTOR_RECIPE) readonly recipe: DescriptorRecipe = UNCONFIGURED_DESCRIPTOR_RECIPE,
  ) {}

  async findPersonById(id: number): Promise<PersonRef | null> {
    const person = await this.dataSource.getRepository(PersonEntity).findOneBy({ id });
    return person && { id: person.id, name: person.name };
  }

  /** The person whose name equals `name` ignoring case (names are unique so), if any. */
  findPersonByNameIgnoringCase(name: string): Promise<PersonRef | undefined> {
    return findPersonByNameKey(this.dataSource, name);
  }

  /**
   * The person with this name ignoring case (names are unique so: "AMY" finds amy), created if new. The known-faces
   * folder names persons this way, so two enrollers starting at once both create the same name: the loser's insert
   * hits the unique index and reads the winner's row instead. Should that row be deleted before it is read, the
   * name is free again and the loser tries once more; a second loss is `PersistenceError('duplicate_name')`, never
   * the driver's error.
   */
  async findOrCreatePerson(name: string): Promise<PersonRef> {
    const persons = this.dataSource.getRepository(PersonEntity);
    for (let attempt = 1; ; attempt++) {
      const existing = await persons.findOneBy({ nameKey: personNameKey(name) });
      if (existing) return { id: existing.id, name: existing.name };
      try {
        const created = await persons.save(persons.create({ name }));
        return { id: created.id, name: created.name };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        if (attempt >= CREATE_PERSON_ATTEMPTS) throw new PersistenceError('duplicate_name');
      }
    }
  }

  /** Enrolments whose source starts with `prefix` (e.g. every file of the known-faces folder). */
  /** Content hashes of the known-faces files whose person was deleted: start-up skips them. */
  async forgottenKnownFaces(): Promise<Set<string>> {
    const rows = await this.dataSource.getRepository(ForgottenKnownFaceEntity).find({ select: { contentHash: true } });
    return new Set(rows.map((row) => row.contentHash));
  }

  /** Clears every tombstone (the files are enrolled again at the next start); returns how many there were. */
  async clearForgottenKnownFaces(audit?: AuditRecord): Promise<number> {
    const results = await runInTransaction(this.dataSource, [
      ['DELETE FROM forgotten_known_faces', []],
      ...(audit ? [auditIfChanged(0, audit)] : []),
    ]);
    return results?.[0].affected ?? 0;
  }

  /** Enrolments whose source name starts with `prefix`, taken literally (`_`, `%` are no wildcards), in id order. */
  async listByPrefix(prefix: string): Promise<EnrolmentRecord[]> {
    const rows = await this.dataSource.getRepository(PersonImageEntity).find({
      select: { id: true, personId: true, sourceName: true, contentHash: true, descriptorRecipe: true },
      where: { sourceName: Raw((column) => `${column} LIKE :pattern ${LIKE_ESCAPE}`, { pattern: likePrefix(prefix) }) },
      order: { id: 'ASC' },
    });
    return rows.map(({ id, personId, sourceName, contentHash, descriptorRecipe }) => ({
      id,
      personId,
      sourceName,
      contentHash,
      recipe: decodeRecipe(descriptorRecipe),
    }));
  }

  /**
   * Stores the descriptor of a source, replacing any previous enrolment of the same source. Returns the new id.
   * `audit`: its row, in the same transaction. The person deleted meanwhile: `PersistenceError('person_deleted')`,
   * nothing changed.
   */
  async replaceEnrolment(enrolment: NewEnrolment, audit?: (personImageId: number) => AuditRecord): Promise<number> {
    const source = { sourceName: enrolment.sourceName };
    const results = await runInTransaction(this.dataSource, [
      bumpGalleryVersion(this.dataSource),
      logGalleryChanges(source, true),
      toStatement(this.dataSource.createQueryBuilder().delete().from(PersonImageEntity).where('source_name = :sourceName', source)),
      toStatement(
        this.dataSource
          .createQueryBuilder()
          .insert()
          .into(PersonImageEntity)
          .values({
            personId: enrolment.personId,
            sourceName: enrolment.sourceName,
            contentHash: enrolment.contentHash,
            descriptor: encodeDescriptor(enrolment.descriptor),
            descriptorRecipe: enrolment.recipe,
          })
          .updateEntity(false),
      ),
      logGalleryChanges(source, false),
      ...(audit ? [auditInsertedRow(3, audit)] : []),
    ]).catch(rethrowPersonDeleted);
    const id = results?.[3].insertId;
    if (id === undefined) throw new Error('the database returned no id for the new enrolment');
    return id;
  }

  async deleteEnrolments(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await runInTransaction(this.dataSource, removeEnrolments(this.dataSource, ids));
  }

  /** The gallery version: bumped in the same transaction as every change to the gallery. */
  version(): Promise<number> {
    return readGalleryVersion(this.dataSource);
  }

  /**
   * Every descriptor as of one version: the version read before and after the rows is the same, so no change
   * committed in between (the version only grows, and each change bumps it in its own transaction).
   */
  async loadGallery(): Promise<GallerySnapshotRows> {
    for (let attempt = 1; ; attempt++) {
      const version = await this.version();
      const entries = await this.loadEntries();
      if ((await this.version()) === version) return { version, entries };
      if (attempt >= SNAPSHOT_ATTEMPTS) throw new Error(`the gallery kept changing while it was loaded (${attempt} attempts)`);
    }
  }

  /**
   * Every enrolled descriptor of the configured recipe with its person, in enrolment order (the matcher's tie rule
   * relies on it). Enrolments of another recipe are not in the gallery until re-described.
   */
  private async loadEntries(): Promise<GalleryRow[]> {
    const rows = await this.dataSource
      .getRepository(PersonImageEntity)
      .createQueryBuilder('image')
      .innerJoin('image.person', 'person')
      .select([
        'image.id AS id',
        'image.sourceName AS sourceName',
        'image.personId AS personId',
        'person.name AS personName',
        'image.descriptor AS descriptor',
      ])
      .where('image.descriptorRecipe = :recipe', { recipe: this.recipe })
      .orderBy('image.id', 'ASC')
      .getRawMany<{ id: number | string; sourceName: string; personId: number | string; personName: string; descriptor: Buffer }>();
    return rows.map((row) => ({
      id: Number(row.id),
      sourceName: row.sourceName,
      personId: Number(row.personId),
      personName: row.personName,
      descriptor: decodeDescriptor(row.descriptor),
    }));
  }
}

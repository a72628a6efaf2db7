import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, Like } from 'typeorm';
import { PersonEntity } from '../entities/person.entity';
import { PersonImageEntity } from '../entities/person-image.entity';

/** Length of a FaceRecognitionNet descriptor (kept here so persistence does not depend on the domain lib). */
const DESCRIPTOR_FLOATS = 128;

/** 128 float32 → 512 bytes, little-endian whatever the host. */
export function encodeDescriptor(descriptor: Float32Array): Buffer {
  if (descriptor.length !== DESCRIPTOR_FLOATS) throw new RangeError(`descriptor has ${descriptor.length} values, expected ${DESCRIPTOR_FLOATS}`);
  const buffer = Buffer.alloc(DESCRIPTOR_FLOATS * 4);
  descriptor.forEach((value, index) => buffer.writeFloatLE(value, index * 4));
  return buffer;
}

export function decodeDescriptor(blob: Buffer): Float32Array {
  if (blob.length !== DESCRIPTOR_FLOATS * 4) throw new RangeError(`descriptor blob has ${blob.length} bytes, expected ${DESCRIPTOR_FLOATS * 4}`);
  const descriptor = new Float32Array(DESCRIPTOR_FLOATS);
  for (let index = 0; index < DESCRIPTOR_FLOATS; index++) descriptor[index] = blob.readFloatLE(index * 4);
  return descriptor;
}

/** `source_name` of an image from KNOWN_FACES_DIR, and of one enrolled through the API (path under IMAGES_ROOT). */
export const KNOWN_SOURCE_PREFIX = 'known:';
export const PATH_SOURCE_PREFIX = 'path:';

export interface EnrolmentRecord {
  id: number;
  personId: number;
  sourceName: string;
  contentHash: string;
}

export interface NewEnrolment {
  personId: number;
  sourceName: string;
  contentHash: string;
  descriptor: Float32Array;
}

export interface GalleryRow {
  personId: number;
  personName: string;
  descriptor: Float32Array;
}

/**
 * Enrolled faces (person_images) and the persons they belong to: what the enrolment writes and the matcher's
 * gallery reads. Re-enrolling a source replaces its row (new id), so the gallery fingerprint always moves.
 */
@Injectable()
export class PersonImageRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  findPersonById(id: number): Promise<PersonEntity | null> {
    return this.dataSource.getRepository(PersonEntity).findOneBy({ id });
  }

  /** The person with this exact name, created if new (safe against a concurrent creator). */
  async findOrCreatePerson(name: string): Promise<PersonEntity> {
    const persons = this.dataSource.getRepository(PersonEntity);
    const existing = await persons.findOneBy({ name });
    if (existing) return existing;
    try {
      return await persons.save(persons.create({ name }));
    } catch (error) {
      const again = await persons.findOneBy({ name });
      if (again) return again;
      throw error;
    }
  }

  /** Enrolments whose source starts with `prefix` (e.g. every file of the known-faces folder). */
  async listByPrefix(prefix: string): Promise<EnrolmentRecord[]> {
    const rows = await this.dataSource.getRepository(PersonImageEntity).find({
      select: { id: true, personId: true, sourceName: true, contentHash: true },
      where: { sourceName: Like(`${prefix.replace(/[\\%_]/g, '\\$&')}%`) },
      order: { id: 'ASC' },
    });
    return rows.map(({ id, personId, sourceName, contentHash }) => ({ id, personId, sourceName, contentHash }));
  }

  /** Stores the descriptor of a source, replacing any previous enrolment of the same source. Returns the new id. */
  async replaceEnrolment(enrolment: NewEnrolment): Promise<number> {
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const images = manager.getRepository(PersonImageEntity);
      await images.delete({ sourceName: enrolment.sourceName });
      const saved = await images.save(
        images.create({
          personId: enrolment.personId,
          sourceName: enrolment.sourceName,
          contentHash: enrolment.contentHash,
          descriptor: encodeDescriptor(enrolment.descriptor),
        }),
      );
      return saved.id;
    });
  }

  async deleteEnrolments(ids: number[]): Promise<void> {
    if (ids.length > 0) await this.dataSource.getRepository(PersonImageEntity).delete({ id: In(ids) });
  }

  /** Changes with every insert and delete of person_images: one indexed aggregate query. */
  async version(): Promise<string> {
    const row = await this.dataSource
      .getRepository(PersonImageEntity)
      .createQueryBuilder('image')
      .select('COUNT(*)', 'count')
      .addSelect('MAX(image.id)', 'maxId')
      .addSelect('MAX(image.createdAt)', 'maxCreated')
      .getRawOne<{ count: string | number; maxId: string | number | null; maxCreated: string | Date | null }>();
    const created = row?.maxCreated instanceof Date ? row.maxCreated.toISOString() : String(row?.maxCreated ?? '');
    return `${row?.count ?? 0}:${row?.maxId ?? 0}:${created}`;
  }

  /** Every enrolled descriptor with its person, in enrolment order (the matcher's tie rule relies on it). */
  async loadGallery(): Promise<GalleryRow[]> {
    const rows = await this.dataSource
      .getRepository(PersonImageEntity)
      .createQueryBuilder('image')
      .innerJoin('image.person', 'person')
      .select(['image.id AS id', 'image.personId AS personId', 'person.name AS personName', 'image.descriptor AS descriptor'])
      .orderBy('image.id', 'ASC')
      .getRawMany<{ id: number; personId: number | string; personName: string; descriptor: Buffer }>();
    return rows.map((row) => ({ personId: Number(row.personId), personName: row.personName, descriptor: decodeDescriptor(row.descriptor) }));
  }
}

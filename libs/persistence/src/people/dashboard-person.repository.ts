import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ImageStatus } from '@visage/domain';
import { FaceEntity } from '../images/face.entity';
import { ImageEntity } from '../images/image.entity';
import { PersonEntity } from './person.entity';
import { PersonImageEntity } from './person-image.entity';
import { comparePersons } from '../person-name';

export interface EnrolledFaceRow {
  id: number;
  sourceName: string;
  createdAt: Date;
}

export interface RecognisedImageRow {
  id: number;
  path: string;
  status: ImageStatus;
}

export interface PersonSummary {
  id: number;
  name: string;
  createdAt: Date;
  enrolled: EnrolledFaceRow[];
  /** Number of images with at least one face matched to this person. */
  recognisedCount: number;
  /** The most recent of those images (at most `recentImagesPerPerson`). */
  recentImages: RecognisedImageRow[];
}

/**
 * Read side of the dashboard's persons page: each person with their enrolled faces and the images they were
 * recognised in, shaped for display. Writes go through the receiver's API, never through here.
 */
@Injectable()
export class DashboardPersonRepository {
  constructor(private readonly dataSource: DataSource) {}

  async listPersons(recentImagesPerPerson = 8): Promise<PersonSummary[]> {
    const persons = (await this.dataSource.getRepository(PersonEntity).find()).sort(comparePersons);
    if (persons.length === 0) return [];
    const enrolled = await this.dataSource
      .getRepository(PersonImageEntity)
      .createQueryBuilder('pi')
      .select(['pi.id', 'pi.personId', 'pi.sourceName', 'pi.createdAt'])
      .orderBy('pi.id', 'ASC')
      .getMany();
    const counts = await this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('f')
      .select('f.personId', 'personId')
      .addSelect('COUNT(DISTINCT f.imageId)', 'count')
      .where('f.personId IS NOT NULL')
      .groupBy('f.personId')
      .getRawMany<{ personId: number | string; count: number | string }>();
    const countByPerson = new Map(counts.map((row) => [Number(row.personId), Number(row.count)]));

    const recent = await this.recentImagesOf(
      persons.map((person) => person.id),
      recentImagesPerPerson,
    );
    return persons.map((person) => ({
      id: person.id,
      name: person.name,
      createdAt: person.createdAt,
      enrolled: enrolled
        .filter((face) => face.personId === person.id)
        .map((face) => ({ id: face.id, sourceName: face.sourceName, createdAt: face.createdAt })),
      recognisedCount: countByPerson.get(person.id) ?? 0,
      recentImages: recent.get(person.id) ?? [],
    }));
  }

  async findEnrolledFace(id: number): Promise<EnrolledFaceRow | undefined> {
    const face = await this.dataSource
      .getRepository(PersonImageEntity)
      .createQueryBuilder('pi')
      .select(['pi.id', 'pi.sourceName', 'pi.createdAt'])
      .where('pi.id = :id', { id })
      .getOne();
    return face ? { id: face.id, sourceName: face.sourceName, createdAt: face.createdAt } : undefined;
  }

  /**
   * Newest `limit` images per person: one index-only lookup per person (faces by person_id, image_id),
   * sent as a single UNION ALL round trip, then one query for the image rows.
   */
  private async recentImagesOf(personIds: number[], limit: number): Promise<Map<number, RecognisedImageRow[]>> {
    const idsByPerson = new Map<number, number[]>(personIds.map((id) => [id, []]));
    const take = Math.max(1, Math.floor(limit));
    for (let start = 0; start < personIds.length; start += 200) {
      const chunk = personIds.slice(start, start + 200);
      const sql = chunk
        .map(
          () =>
            `SELECT * FROM (SELECT DISTINCT person_id AS personId, image_id AS imageId FROM faces WHERE person_id = ? ORDER BY image_id DESC LIMIT ${take}) AS r`,
        )
        .join(' UNION ALL ');
      const raw = (await this.dataSource.query(sql, chunk)) as Array<{ personId: number | string; imageId: number | string }>;
      for (const row of raw) idsByPerson.get(Number(row.personId))?.push(Number(row.imageId));
    }
    const allIds = [...new Set([...idsByPerson.values()].flat())];
    const images =
      allIds.length === 0
        ? []
        : await this.dataSource
            .getRepository(ImageEntity)
            .createQueryBuilder('i')
            .select(['i.id', 'i.path', 'i.status'])
            .where('i.id IN (:...ids)', { ids: allIds })
            .getMany();
    const byId = new Map(images.map((image) => [image.id, { id: image.id, path: image.path, status: image.status }]));
    return new Map(personIds.map((personId) => [personId, (idsByPerson.get(personId) ?? []).flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []))]));
  }
}

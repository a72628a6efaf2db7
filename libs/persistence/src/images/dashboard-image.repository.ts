import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, SelectQueryBuilder } from 'typeorm';
import { ImageStatus } from '@visage/domain';
import { isMysqlFamily } from '../data-source-options';
import { FaceEntity } from './face.entity';
import { ImageEntity } from './image.entity';
import { PersonEntity } from '../people/person.entity';
import { PersonImageEntity } from '../people/person-image.entity';
import { LIKE_ESCAPE, likeContains } from '../shared/like-pattern';
import { countImagesByStatus, ImageFaceView, imageSummaryColumns, ImageSummaryView, PersonRef, toFaceView, toImageSummary } from './image-views';

export interface ImageFilter {
  status?: ImageStatus;
  /** Matches a substring of the path or of the name of a person recognised in the image. */
  search?: string;
  /** Only images where this person appears (their current identities). */
  personId?: number;
}

export interface DashboardImageQuery extends ImageFilter {
  /** Keyset cursor: rows with id < olderThan (the next, older page). */
  olderThan?: number;
  /** Keyset cursor: rows with id > newerThan (the previous, newer page). */
  newerThan?: number;
  limit: number;
}

export interface ImageListRow extends ImageSummaryView {
  faceCount: number;
  persons: PersonRef[];
}

export interface ImageListPage {
  rows: ImageListRow[];
  /** Set when an older page exists: pass as `olderThan`. */
  olderCursor?: number;
  /** Set when a newer page exists: pass as `newerThan`. */
  newerCursor?: number;
}

export interface ChangedImageRow extends ImageListRow {
  /** Whether the row passes the filter the client is looking at. */
  matchesFilter: boolean;
}

export type StatusCounts = Record<ImageStatus, number> & { total: number };

/** The dashboard's name for the shared face view. */
export type DetectedFaceRow = ImageFaceView;

export interface ImageDetail extends ImageListRow {
  claimedAt: Date | null;
  claimedBy: string | null;
  faces: DetectedFaceRow[];
}

/** A search naming more people than this is too vague to be a person search; the path still matches. */
const MAX_MATCHED_PERSONS = 1000;

interface FaceRowRaw {
  imageId: number | string;
  personId: number | string | null;
  personName: string | null;
}

/**
 * Read side of the dashboard's image pages (list, live updates, detail), shaped for display; its persons page reads
 * through `DashboardPersonRepository`. Writes (retry, persons, enrolment) go through the receiver's API, never here.
 */
@Injectable()
export class DashboardImageRepository {
  constructor(private readonly dataSource: DataSource) {}

  async listImages(query: DashboardImageQuery): Promise<ImageListPage> {
    const limit = Math.max(1, Math.min(query.limit, 500));
    const qb = await this.imagesQuery(query);
    // Going back (newer page) walks the index upward, then the page is flipped to newest-first again.
    const goingNewer = query.newerThan !== undefined && query.olderThan === undefined;
    if (query.olderThan !== undefined) qb.andWhere('i.id < :olderThan', { olderThan: query.olderThan });
    if (goingNewer) qb.andWhere('i.id > :newerThan', { newerThan: query.newerThan });
    qb.orderBy('i.id', goingNewer ? 'ASC' : 'DESC').limit(limit + 1);

    const found = await qb.getMany();
    const hasMore = found.length > limit;
    const images = found.slice(0, limit);
    if (goingNewer) images.reverse();
    const rows = await this.withFaces(images);

    const first = rows[0]?.id;
    const last = rows.at(-1)?.id;
    const page: ImageListPage = { rows };
    if (goingNewer) {
      if (hasMore && first !== undefined) page.newerCursor = first;
      if (last !== undefined) page.olderCursor = (await this.existsBeyond(query, 'older', last)) ? last : undefined;
    } else {
      if (hasMore && last !== undefined) page.olderCursor = last;
      if (query.olderThan !== undefined && first !== undefined) {
        page.newerCursor = (await this.existsBeyond(query, 'newer', first)) ? first : undefined;
      }
    }
    if (page.olderCursor === undefined) delete page.olderCursor;
    if (page.newerCursor === undefined) delete page.newerCursor;
    return page;
  }

  async countByStatus(): Promise<StatusCounts> {
    const counts = await countImagesByStatus(this.dataSource);
    return { ...counts, total: Object.values(counts).reduce((sum, count) => sum + count, 0) };
  }

  /** Latest change time in the table: the starting cursor of the live-update poll (database clock, not ours). */
  async lastUpdatedAt(): Promise<Date | undefined> {
    const latest = await this.dataSource
      .getRepository(ImageEntity)
      .createQueryBuilder('i')
      .select(['i.id', 'i.updatedAt'])
      .orderBy('i.updatedAt', 'DESC')
      .addOrderBy('i.id', 'DESC')
      .limit(1)
      .getOne();
    if (!latest) return undefined;
    // MySQL keeps microseconds, a Date only milliseconds (truncated): without rounding up, the newest
    // row would count as changed "after" the time it reported.
    return isMysqlFamily(this.dataSource.options) ? new Date(latest.updatedAt.getTime() + 1) : latest.updatedAt;
  }

  /** Rows changed after `since` (oldest change first), each flagged with whether it passes `filter`. */
  async changedSince(since: Date, limit: number, filter: ImageFilter = {}): Promise<ChangedImageRow[]> {
    const images = await this.dataSource
      .getRepository(ImageEntity)
      .createQueryBuilder('i')
      .select(imageSummaryColumns('i'))
      .where('i.updatedAt > :since', { since })
      .orderBy('i.updatedAt', 'ASC')
      .addOrderBy('i.id', 'ASC')
      .limit(Math.max(1, Math.min(limit, 1000)))
      .getMany();
    if (images.length === 0) return [];
    const rows = await this.withFaces(images);
    const matching = new Set<number>();
    if (filter.status === undefined && !filter.search && filter.personId === undefined) {
      rows.forEach((row) => matching.add(row.id));
    } else {
      const ids = rows.map((row) => row.id);
      const hits = await (await this.imagesQuery(filter)).andWhere('i.id IN (:...ids)', { ids }).getMany();
      hits.forEach((hit) => matching.add(hit.id));
    }
    return rows.map((row) => ({ ...row, matchesFilter: matching.has(row.id) }));
  }

  async findImage(id: number): Promise<ImageDetail | undefined> {
    const image = await this.dataSource.getRepository(ImageEntity).findOne({ where: { id } });
    if (!image) return undefined;
    const faces = await this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('f')
      .leftJoinAndSelect('f.person', 'p')
      .where('f.imageId = :id', { id })
      .orderBy('f.id', 'ASC')
      .getMany();
    const faceRows = faces.map(toFaceView);
    return {
      ...this.toListRow(image, faceRows.length, distinctPersons(faceRows.map((face) => face.person))),
      claimedAt: image.claimedAt,
      claimedBy: image.claimedBy,
      faces: faceRows,
    };
  }

  /**
   * Whether a file was handed to Visage: an image row at `path` (relative to IMAGES_ROOT), or an enrolment whose
   * source is one of `sourceNames`. The dashboard shows pictures of these files only, never any file in the root.
   */
  async isSubmittedFile(path: string, sourceNames: string[]): Promise<boolean> {
    const image = await this.dataSource
      .getRepository(ImageEntity)
      .createQueryBuilder('i')
      .select('i.id')
      .where('i.path = :path', { path })
      .limit(1)
      .getRawOne();
    if (image !== undefined) return true;
    if (sourceNames.length === 0) return false;
    const enrolment = await this.dataSource
      .getRepository(PersonImageEntity)
      .createQueryBuilder('pi')
      .select('pi.id')
      .where('pi.sourceName IN (:...sourceNames)', { sourceNames })
      .limit(1)
      .getRawOne();
    return enrolment !== undefined;
  }

  /**
   * Images passing the filter. A search matches the path, or a person's name: the (small) persons table is
   * searched first, so the per-row test is an index lookup on faces by person id, not a join per row.
   */
  private async imagesQuery(filter: ImageFilter): Promise<SelectQueryBuilder<ImageEntity>> {
    const qb = this.dataSource.getRepository(ImageEntity).createQueryBuilder('i').select(imageSummaryColumns('i'));
    if (filter.status !== undefined) qb.andWhere('i.status = :status', { status: filter.status });
    if (filter.personId !== undefined) {
      qb.andWhere('i.id IN (SELECT pf.image_id FROM faces pf WHERE pf.person_id = :filterPersonId)', { filterPersonId: filter.personId });
    }
    const search = filter.search?.trim();
    if (search) {
      const pattern = likeContains(search);
      const persons = await this.dataSource
        .getRepository(PersonEntity)
        .createQueryBuilder('p')
        .select('p.id', 'id')
        .where(`p.name LIKE :pattern ${LIKE_ESCAPE}`, { pattern })
        .limit(MAX_MATCHED_PERSONS)
        .getRawMany<{ id: number | string }>();
      const personIds = persons.map((person) => Number(person.id));
      qb.andWhere(
        new Brackets((where) => {
          where.where(`i.path LIKE :pattern ${LIKE_ESCAPE}`, { pattern });
          if (personIds.length > 0) {
            where.orWhere('i.id IN (SELECT f.image_id FROM faces f WHERE f.person_id IN (:...personIds))', { personIds });
          }
        }),
      );
    }
    return qb;
  }

  private async existsBeyond(filter: ImageFilter, direction: 'older' | 'newer', id: number): Promise<boolean> {
    const qb = (await this.imagesQuery(filter)).select('i.id');
    qb.andWhere(direction === 'older' ? 'i.id < :id' : 'i.id > :id', { id }).limit(1);
    return (await qb.getRawOne()) !== undefined;
  }

  private async withFaces(images: ImageEntity[]): Promise<ImageListRow[]> {
    if (images.length === 0) return [];
    const raw = await this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('f')
      .leftJoin('f.person', 'p')
      .select('f.imageId', 'imageId')
      .addSelect('f.personId', 'personId')
      .addSelect('p.name', 'personName')
      .where('f.imageId IN (:...ids)', { ids: images.map((image) => image.id) })
      .orderBy('f.id', 'ASC')
      .getRawMany<FaceRowRaw>();
    const faceCount = new Map<number, number>();
    const persons = new Map<number, Array<PersonRef | null>>();
    for (const face of raw) {
      const imageId = Number(face.imageId);
      faceCount.set(imageId, (faceCount.get(imageId) ?? 0) + 1);
      const person = face.personId !== null && face.personName !== null ? { id: Number(face.personId), name: face.personName } : null;
      persons.set(imageId, [...(persons.get(imageId) ?? []), person]);
    }
    return images.map((image) => this.toListRow(image, faceCount.get(image.id) ?? 0, distinctPersons(persons.get(image.id) ?? [])));
  }

  private toListRow(image: ImageEntity, faceCount: number, persons: PersonRef[]): ImageListRow {
    return { ...toImageSummary(image), faceCount, persons };
  }
}

function distinctPersons(persons: Array<PersonRef | null>): PersonRef[] {
  const seen = new Map<number, PersonRef>();
  for (const person of persons) if (person && !seen.has(person.id)) seen.set(person.id, person);
  return [...seen.values()];
}

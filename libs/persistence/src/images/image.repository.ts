import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { ImageStatus } from '@visage/domain';
import { ClusterMemberEntity } from '../review/face-cluster.entity';
import { FaceEntity } from './face.entity';
import { ImageEntity } from './image.entity';
import { PersonImageEntity } from '../people/person-image.entity';
import { insertedId, isUniqueViolation } from '../shared/database-errors';
import { checkpointAfterErasure, forgetImageStatements } from '../shared/erasure';
import { recountClusters } from '../review/cluster-statements';
import { reviewSourceName } from '../review/face-assignment';
import { forgetEnrolments } from '../people/gallery-version';
import { erasureEventStatement } from '../events/outcome-events';
import { encodeImageCursor, ImageCursor } from './image-cursor';
import { keysetPage } from '../shared/keyset-page';
import { auditStatement, AuditRecord } from '../access/audit.repository';
import { placeholders, runInTransaction, Statement } from '../shared/transactions';
import { countImagesByStatus, ImageFaceView, ImageSummaryView, toFaceView, toImageSummary } from './image-views';

export interface DeletedImage {
  /** Faces deleted with the image (with their descriptors). */
  faces: number;
  /** Review enrolments ("This is …", a named group) made from those faces, deleted from the gallery too. */
  enrolments: number;
}

export type CreateImageResult = { created: true; id: number } | { created: false; existingId: number };

export interface ImageDetailsView extends ImageSummaryView {
  /** The submission's request id (null for images stored before request ids existed). */
  requestId: string | null;
  faces: ImageFaceView[];
  /** Oldest gallery version among the faces' identities (null: no face, or faces without descriptors). */
  galleryVersion: number | null;
  /** When the faces' identities were last decided (null: no face). */
  matchedAt: Date | null;
}

export interface ImageListQuery {
  status?: ImageStatus;
  /** Only images with a face of this person. */
  personId?: number;
  limit: number;
  cursor?: ImageCursor;
}

export interface ImagePage {
  items: ImageSummaryView[];
  /** Opaque cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

/** The image's identity is as current as its least current face; it changed last when its last face did. */
function identityVersion(faces: ImageFaceView[]): Pick<ImageDetailsView, 'galleryVersion' | 'matchedAt'> {
  const versions = faces.flatMap((face) => (face.galleryVersion === null ? [] : [face.galleryVersion]));
  const times = faces.flatMap((face) => (face.matchedAt === null ? [] : [face.matchedAt.getTime()]));
  return {
    galleryVersion: versions.length > 0 ? Math.min(...versions) : null,
    matchedAt: times.length > 0 ? new Date(Math.max(...times)) : null,
  };
}

/** Ingest-side access to `images`: create, read, list and count (manual retry is `ImageRetryRepository.requeueForRetry`). */
@Injectable()
export class ImageRepository {
  private readonly images: Repository<ImageEntity>;
  private readonly insertSql: string;

  constructor(private readonly dataSource: DataSource) {
    this.images = dataSource.getRepository(ImageEntity);
    // `?` placeholders work for both mysql2 and better-sqlite3; identifiers quoted per dialect.
    const quote = (name: string) => dataSource.driver.escape(name);
    this.insertSql = `INSERT INTO ${quote('images')} (${quote('path')}, ${quote('status')}, ${quote('request_id')}) VALUES (?, ?, ?)`;
  }

  /**
   * Inserts a pending image. The unique index on `path` decides duplicates (no check-then-insert race):
   * on conflict the existing row's id is returned instead.
   */
  async create(path: string, requestId: string | null = null): Promise<CreateImageResult> {
    try {
      // One prepared-style statement instead of the query builder: this is the ingest hot path, and the
      // caller only needs the id (no reload of the defaults).
      return { created: true, id: insertedId(await this.dataSource.query(this.insertSql, [path, 'pending' satisfies ImageStatus, requestId])) };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.images.findOne({ where: { path }, select: { id: true } });
      if (!existing) throw error;
      return { created: false, existingId: existing.id };
    }
  }

  /**
   * Forgets an image in one transaction: its row, its faces with their descriptors ("Not <name>" rows and group
   * memberships go with them: cascade), and the review enrolments made from those faces (out of the gallery
   * and its change log: {@link forgetEnrolments}). Groups that lost a face are marked for the clustering job to
   * recompute; an emptied one is deleted (its centroid was that face). An `image.deleted` event (its id only) is
   * written for consumers to forget it too. The file on disk is never touched.
   * Undefined when there is no such image. `audit`: its row, in the same transaction (its details get the counts).
   */
  async delete(id: number, audit?: AuditRecord): Promise<DeletedImage | undefined> {
    const faceIds = (await this.dataSource.getRepository(FaceEntity).find({ where: { imageId: id }, select: { id: true } })).map((face) => face.id);
    const enrolmentIds =
      faceIds.length === 0
        ? []
        : (
            await this.dataSource
              .getRepository(PersonImageEntity)
              .createQueryBuilder('enrolment')
              .select('enrolment.id', 'id')
              .where('enrolment.source_name IN (:...sources)', { sources: faceIds.map(reviewSourceName) })
              .getRawMany<{ id: number | string }>()
          ).map((row) => Number(row.id));
    const clusterIds =
      faceIds.length === 0
        ? []
        : (
            await this.dataSource
              .getRepository(ClusterMemberEntity)
              .createQueryBuilder('member')
              .select('DISTINCT member.cluster_id', 'clusterId')
              .where('member.face_id IN (:...faceIds)', { faceIds })
              .andWhere('member.cluster_id IS NOT NULL')
              .getRawMany<{ clusterId: number | string }>()
          ).map((row) => Number(row.clusterId));
    const statements: Statement[] = [['DELETE FROM images WHERE id = ?', [id]], ...forgetImageStatements(id)];
    if (enrolmentIds.length > 0) {
      statements.push(...forgetEnrolments(this.dataSource, { ids: enrolmentIds }), [
        `DELETE FROM person_images WHERE id IN (${placeholders(enrolmentIds.length)})`,
        enrolmentIds,
      ]);
    }
    if (clusterIds.length > 0) {
      statements.push(recountClusters(clusterIds), [
        `DELETE FROM face_clusters WHERE size = 0 AND id IN (${placeholders(clusterIds.length)})`,
        clusterIds,
      ]);
    }
    statements.push(erasureEventStatement(this.dataSource, { imageId: id }, new Date()));
    const deleted: DeletedImage = { faces: faceIds.length, enrolments: enrolmentIds.length };
    if (audit) statements.push(auditStatement({ ...audit, details: { ...audit.details, ...deleted } }));
    const results = await runInTransaction(this.dataSource, statements, { guarded: true });
    if (!results) return undefined;
    checkpointAfterErasure(this.dataSource);
    return deleted;
  }

  async findById(id: number): Promise<ImageDetailsView | undefined> {
    const image = await this.images.findOne({
      where: { id },
      relations: { faces: { person: true } },
      order: { faces: { id: 'ASC' } },
    });
    if (!image) return undefined;
    const faces = (image.faces ?? []).map(toFaceView);
    return { ...toImageSummary(image), requestId: image.requestId, faces, ...identityVersion(faces) };
  }

  /**
   * Newest first (id descending), `limit` rows after the cursor; uses the primary key or (status, id), and for a
   * person the faces' (person_id, image_id) index.
   */
  async list(query: ImageListQuery): Promise<ImagePage> {
    const builder = this.images
      .createQueryBuilder('image')
      .orderBy('image.id', 'DESC')
      .take(query.limit + 1);
    if (query.status) builder.andWhere('image.status = :status', { status: query.status });
    if (query.personId !== undefined) {
      builder.andWhere('EXISTS (SELECT 1 FROM faces face WHERE face.image_id = image.id AND face.person_id = :personId)', {
        personId: query.personId,
      });
    }
    if (query.cursor) builder.andWhere('image.id < :beforeId', { beforeId: query.cursor.beforeId });
    const { items, nextCursor } = keysetPage(await builder.getMany(), query.limit, (last) => encodeImageCursor({ beforeId: last.id }));
    return { items: items.map(toImageSummary), nextCursor };
  }

  /** Number of images per status; every status is present (0 when none). */
  countByStatus(): Promise<Record<ImageStatus, number>> {
    return countImagesByStatus(this.dataSource);
  }
}

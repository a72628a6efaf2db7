import { Inject, Injectable, Optional } from '@nestjs/common';
import { DescriptorRecipe } from '@visage/domain';
import { DataSource } from 'typeorm';
import { FaceEntity } from '../images/face.entity';
import { GalleryChangeEntity } from '../people/gallery-change.entity';
import { GalleryStateEntity } from '../people/gallery-state.entity';
import { ImageEntity } from '../images/image.entity';
import { readRejectedPersons } from './face-review.repository';
import { GALLERY_STATE_ROW, readGalleryVersion, recomputeImageStatuses } from '../people/gallery-version';
import { IDENTITY_STATUSES, recordOutcomeEvents } from '../events/outcome-events';
import { CONFIGURED_DESCRIPTOR_RECIPE, decodeDescriptor, UNCONFIGURED_DESCRIPTOR_RECIPE } from '../shared/descriptor-codec';
import { rethrowPersonDeleted } from '../shared/database-errors';
import { runInTransaction, Statement, toStatement } from '../shared/transactions';

/** A face matched against an older gallery than the current one, with what that match found. */
export interface StaleFace {
  id: number;
  imageId: number;
  personId: number | null;
  /** Distance to the nearest enrolment of `galleryVersion` (null: that gallery was empty). */
  distance: number | null;
  galleryVersion: number;
  descriptor: Float32Array;
  /** Persons this face must never be given to ("Not <name>" in the review); empty for most faces. */
  rejectedPersonIds: number[];
  /** Judged of low quality when stored: never named. */
  lowQuality: boolean;
}

/** A batch of stale faces (whole images) and the face id the next batch starts after. */
export interface StaleFaceBatch {
  faces: StaleFace[];
  afterId: number;
}

interface StaleFaceRow {
  id: number | string;
  imageId: number | string;
  personId: number | string | null;
  distance: number | string | null;
  galleryVersion: number | string;
  descriptor: Buffer;
  lowQuality: number | string | boolean;
}

/** An enrolment added or removed by the change that made `version`. */
export interface GalleryChangeRow {
  version: number;
  personImageId: number;
  personId: number;
  removed: boolean;
  descriptor: Float32Array;
}

/** The new identity of a stale face. */
export interface FaceRematch {
  faceId: number;
  imageId: number;
  /** Person before the re-match: decides whether the image's identity changed. */
  previousPersonId: number | null;
  personId: number | null;
  distance: number | null;
}

export interface RematchBatchResult {
  /** Faces written (a face re-processed or re-matched by someone else meanwhile is skipped). */
  updated: number;
  /** Images whose named persons changed (status recomputed, updated_at moved). */
  changedImages: number[];
}

/**
 * Identity as a projection of (faces × gallery): the faces whose gallery version is older than the current one,
 * and their new identities written back in one transaction per batch, each face guarded by its version.
 */
@Injectable()
export class FaceIdentityRepository {
  constructor(
    private readonly dataSource: DataSource,
    /** Only faces (and enrolments) of this recipe are compared; the others wait for the re-description job. */
    @Optional() @Inject(CONFIGURED_DESCRIPTOR_RECIPE) readonly recipe: DescriptorRecipe = UNCONFIGURED_DESCRIPTOR_RECIPE,
  ) {}

  galleryVersion(): Promise<number> {
    return readGalleryVersion(this.dataSource);
  }

  /** Whether any face of the configured recipe was matched against a gallery older than `version` (one index probe). */
  async hasStaleFaces(version: number): Promise<boolean> {
    const row = await this.faces()
      .createQueryBuilder('face')
      .select('face.id', 'id')
      .where('face.gallery_version < :version', { version })
      .andWhere('face.descriptor_recipe = :recipe', { recipe: this.recipe })
      .limit(1)
      .getRawOne();
    return row !== undefined;
  }

  /**
   * Up to `limit` faces matched against a gallery older than `version`, after face `afterId`, in id order, then
   * the rest of the stale faces of the same images (an image's faces are named together, so a batch never
   * splits one); `afterId` of the result is where the next batch starts. Faces without a descriptor have no
   * version and are never returned (`npm run backfill-descriptors`).
   */
  async staleFaces(version: number, afterId: number, limit: number): Promise<StaleFaceBatch> {
    const rows = await this.staleFaceQuery(version, afterId).limit(limit).getRawMany<StaleFaceRow>();
    if (rows.length === 0) return { faces: [], afterId };
    const lastId = Number(rows[rows.length - 1].id);
    const rest =
      rows.length < limit
        ? []
        : await this.staleFaceQuery(version, lastId)
            .andWhere('face.image_id IN (:...imageIds)', { imageIds: [...new Set(rows.map((row) => Number(row.imageId)))] })
            .getRawMany<StaleFaceRow>();
    const all = [...rows, ...rest];
    const rejected = await readRejectedPersons(
      this.dataSource,
      all.map((row) => Number(row.id)),
    );
    const faces = all.map((row) => ({
      id: Number(row.id),
      imageId: Number(row.imageId),
      personId: row.personId === null ? null : Number(row.personId),
      distance: row.distance === null ? null : Number(row.distance),
      galleryVersion: Number(row.galleryVersion),
      descriptor: decodeDescriptor(row.descriptor),
      rejectedPersonIds: rejected.get(Number(row.id)) ?? [],
      lowQuality: Boolean(Number(row.lowQuality)),
    }));
    // The faces taken from beyond `lastId` are no longer stale once applied: the next batch skips them.
    return { faces, afterId: lastId };
  }

  private staleFaceQuery(version: number, afterId: number) {
    return this.faces()
      .createQueryBuilder('face')
      .select([
        'face.id AS id',
        'face.image_id AS imageId',
        'face.person_id AS personId',
        'face.distance AS distance',
        'face.gallery_version AS galleryVersion',
        'face.descriptor AS descriptor',
        'face.low_quality AS lowQuality',
      ])
      .where('face.gallery_version < :version', { version })
      .andWhere('face.descriptor_recipe = :recipe', { recipe: this.recipe })
      .andWhere('face.id > :afterId', { afterId })
      .orderBy('face.id', 'ASC');
  }

  /**
   * The enrolments added and removed after `afterVersion` up to `upToVersion`, in order; undefined when the log
   * does not cover `afterVersion` (older than the log) or holds more than `limit` rows (a full match is cheaper).
   */
  async galleryChanges(afterVersion: number, upToVersion: number, limit: number): Promise<GalleryChangeRow[] | undefined> {
    const state = await this.dataSource
      .getRepository(GalleryStateEntity)
      .findOne({ where: { id: GALLERY_STATE_ROW }, select: { changesFrom: true } });
    if (afterVersion < (state?.changesFrom ?? 0)) return undefined;
    const rows = await this.dataSource
      .getRepository(GalleryChangeEntity)
      .createQueryBuilder('change')
      .where('change.version > :afterVersion AND change.version <= :upToVersion', { afterVersion, upToVersion })
      // A change of another recipe (an enrolment re-described away from it) was never in these faces' gallery.
      .andWhere('change.descriptor_recipe = :recipe', { recipe: this.recipe })
      .orderBy('change.id', 'ASC')
      .limit(limit + 1)
      .getMany();
    if (rows.length > limit) return undefined;
    return rows.map((row) => ({
      version: row.version,
      personImageId: row.personImageId,
      personId: row.personId,
      removed: Boolean(row.removed),
      descriptor: decodeDescriptor(row.descriptor),
    }));
  }

  /**
   * Writes a batch of re-matches made against gallery `version` and recomputes the status of every image whose
   * named persons changed, in one transaction. A face only moves forward: one already matched against
   * `version` or newer (another runner, a fresh processing) is left alone. A person deleted since the gallery
   * was loaded makes the whole batch fail with `PersistenceError('person_deleted')`: the caller reloads and tries again. Each changed image
   * gets an outcome event in the same transaction.
   */
  async applyRematch(version: number, matches: FaceRematch[], now = new Date()): Promise<RematchBatchResult> {
    if (matches.length === 0) return { updated: 0, changedImages: [] };
    const ids = matches.map((match) => match.faceId);
    const personCase = matches
      .map((match) => `WHEN ${Math.trunc(match.faceId)} THEN ${match.personId === null ? 'NULL' : Math.trunc(match.personId)}`)
      .join(' ');
    const distanceCase = matches
      .map(
        (match) => `WHEN ${Math.trunc(match.faceId)} THEN ${match.distance === null || !Number.isFinite(match.distance) ? 'NULL' : match.distance}`,
      )
      .join(' ');
    const statements: Statement[] = [
      toStatement(
        this.dataSource
          .createQueryBuilder()
          .update(FaceEntity)
          .set({
            personId: () => `CASE id ${personCase} END`,
            distance: () => `CASE id ${distanceCase} END`,
            galleryVersion: version,
            matchedAt: now,
          })
          .where('id IN (:...ids)', { ids })
          .andWhere('gallery_version < :version', { version }),
      ),
    ];
    const changedImages = [...new Set(matches.filter((match) => match.personId !== match.previousPersonId).map((match) => match.imageId))];
    if (changedImages.length > 0) {
      statements.push(
        recomputeImageStatuses(this.dataSource, { imageIds: changedImages }, now),
        ...recordOutcomeEvents(this.dataSource, { imageIds: changedImages }, { statuses: IDENTITY_STATUSES, galleryVersion: version }),
      );
    }
    const results = await runInTransaction(this.dataSource, statements).catch(rethrowPersonDeleted);
    return { updated: results?.[0].affected ?? 0, changedImages };
  }

  /**
   * `npm run backfill-descriptors`: up to `limit` finished images with a face stored without its descriptor go
   * back to `pending`, with `updated_at` set `staleAfterMs` in the past so the retry job's stale-pending sweep
   * publishes them on its next tick (this command may run beside an embedded process whose queue it cannot
   * reach). Returns the ids it moved.
   */
  async requeueImagesWithoutDescriptors(staleAfterMs: number, limit: number): Promise<number[]> {
    const candidates = await this.dataSource
      .getRepository(ImageEntity)
      .createQueryBuilder('image')
      .select('image.id', 'id')
      .where("image.status IN ('processed', 'unrecognized')")
      .andWhere('EXISTS (SELECT 1 FROM faces WHERE faces.image_id = image.id AND faces.descriptor IS NULL)')
      .orderBy('image.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number | string }>();
    const moved: number[] = [];
    const due = new Date(Date.now() - staleAfterMs);
    for (const { id } of candidates) {
      const result = await this.dataSource
        .createQueryBuilder()
        .update(ImageEntity)
        .set({ status: 'pending', attempts: 0, lastError: null, permanentFailure: false, updatedAt: due })
        .where('id = :id', { id: Number(id) })
        .andWhere("status IN ('processed', 'unrecognized')")
        .execute();
      if (result.affected === 1) moved.push(Number(id));
    }
    return moved;
  }

  private faces() {
    return this.dataSource.getRepository(FaceEntity);
  }
}

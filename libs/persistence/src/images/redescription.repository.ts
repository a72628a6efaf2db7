import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DescriptorRecipe, FaceBox } from '@visage/domain';
import { FaceEntity } from './face.entity';
import { PersonImageEntity } from '../people/person-image.entity';
import { CONFIGURED_DESCRIPTOR_RECIPE, encodeDescriptor, UNCONFIGURED_DESCRIPTOR_RECIPE } from '../shared/descriptor-codec';
import { REVIEW_SOURCE_PREFIX } from '../review/face-assignment';
import { bumpGalleryVersion, logGalleryChanges } from '../people/gallery-version';
import { placeholders, runInTransaction, Statement } from '../shared/transactions';
import { boxSelection, BoxRow, faceBoxOfRow, toFaceBox } from '../shared/box-columns';

/** Longest `redescription_error` stored (the column's size). */
const ERROR_LENGTH = 255;

/** How far the move of one kind of row (faces, enrolments) to the configured recipe has come. */
export interface RecipeProgress {
  /** Rows with the configured recipe. */
  done: number;
  /** Rows of another recipe still to re-describe. */
  waiting: number;
  /** Rows of another recipe the job could not re-describe (`redescription_error`): never compared. */
  failed: number;
}

export interface RedescriptionProgress {
  recipe: DescriptorRecipe;
  enrolments: RecipeProgress;
  faces: RecipeProgress;
}

/** An enrolment of another recipe, with where its face can be seen again. */
export interface EnrolmentToRedescribe {
  id: number;
  sourceName: string;
  /** For a review enrolment (`review:<faceId>`): the face's image and box, when the face still exists. */
  reviewFace?: { imagePath: string; box: FaceBox };
}

/** A face of another recipe, in an image to analyse again. */
export interface FaceToRedescribe {
  id: number;
  box: FaceBox;
}

export interface ImageToRedescribe {
  imageId: number;
  path: string;
  faces: FaceToRedescribe[];
}

/** A face's descriptor in the configured recipe, or why it has none. */
export type FaceRedescription = { faceId: number; descriptor: Float32Array; recipe: DescriptorRecipe } | { faceId: number; error: string };

/**
 * Moves stored descriptors to the configured recipe (FACE_DESCRIPTOR_RECIPE): what is still of another recipe, and
 * the writes that replace them. An enrolment is replaced as a gallery change (version bumped, the old descriptor
 * logged removed and the new one added, in one transaction), so every face is re-matched against it. A face keeps
 * its person until its new descriptor is matched: it is stored with gallery version 0 and no distance, which makes
 * it stale for the re-match job (matched against the whole gallery, its image's status recomputed there).
 */
@Injectable()
export class RedescriptionRepository {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(CONFIGURED_DESCRIPTOR_RECIPE) readonly recipe: DescriptorRecipe = UNCONFIGURED_DESCRIPTOR_RECIPE,
  ) {}

  async progress(): Promise<RedescriptionProgress> {
    const count = async (table: 'faces' | 'person_images'): Promise<RecipeProgress> => {
      const rows = await this.dataSource.query<
        Array<{ done: number | string | null; waiting: number | string | null; failed: number | string | null }>
      >(
        `SELECT SUM(CASE WHEN descriptor_recipe = ? THEN 1 ELSE 0 END) AS done, ` +
          `SUM(CASE WHEN descriptor_recipe <> ? AND redescription_error IS NULL THEN 1 ELSE 0 END) AS waiting, ` +
          `SUM(CASE WHEN descriptor_recipe <> ? AND redescription_error IS NOT NULL THEN 1 ELSE 0 END) AS failed ` +
          `FROM ${table} WHERE descriptor IS NOT NULL`,
        [this.recipe, this.recipe, this.recipe],
      );
      return { done: Number(rows[0]?.done ?? 0), waiting: Number(rows[0]?.waiting ?? 0), failed: Number(rows[0]?.failed ?? 0) };
    };
    return { recipe: this.recipe, enrolments: await count('person_images'), faces: await count('faces') };
  }

  /**
   * Whether any face or enrolment with a descriptor is of another recipe (waiting or failed): the cheap question
   * before `progress()`, whose counts read every row. Two index ranges around the configured recipe (SQLite uses
   * no index for `<>`), stopping at the first row; it reads rows only for faces of another recipe without a
   * descriptor (stored before descriptors were kept).
   */
  async anyOfAnotherRecipe(): Promise<boolean> {
    for (const table of ['person_images', 'faces'] as const) {
      const found = await this.dataSource.query<unknown[]>(
        `SELECT 1 AS found FROM ${table} WHERE (descriptor_recipe < ? OR descriptor_recipe > ?) AND descriptor IS NOT NULL LIMIT 1`,
        [this.recipe, this.recipe],
      );
      if (found.length > 0) return true;
    }
    return false;
  }

  /** Up to `limit` enrolments of another recipe not yet failed, after `afterId`, in id order. */
  async enrolmentsToRedescribe(afterId: number, limit: number): Promise<EnrolmentToRedescribe[]> {
    const rows = await this.dataSource
      .getRepository(PersonImageEntity)
      .createQueryBuilder('enrolment')
      .select(['enrolment.id AS id', 'enrolment.source_name AS sourceName'])
      .where('enrolment.id > :afterId AND enrolment.descriptor_recipe <> :recipe AND enrolment.redescription_error IS NULL', {
        afterId,
        recipe: this.recipe,
      })
      .orderBy('enrolment.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number | string; sourceName: string }>();
    const reviewFaceIds = rows.flatMap((row) =>
      row.sourceName.startsWith(REVIEW_SOURCE_PREFIX) ? [Number(row.sourceName.slice(REVIEW_SOURCE_PREFIX.length))] : [],
    );
    const faces = new Map<number, { imagePath: string; box: FaceBox }>();
    if (reviewFaceIds.length > 0) {
      const found = await this.dataSource.query<Array<BoxRow & { id: number | string; path: string }>>(
        `SELECT faces.id AS id, images.path AS path, ${boxSelection('faces').join(', ')} ` +
          `FROM faces JOIN images ON images.id = faces.image_id WHERE faces.id IN (${placeholders(reviewFaceIds.length)})`,
        reviewFaceIds,
      );
      for (const face of found)
        faces.set(Number(face.id), {
          imagePath: face.path,
          box: faceBoxOfRow(face),
        });
    }
    return rows.map((row) => {
      const id = Number(row.id);
      const reviewFace = row.sourceName.startsWith(REVIEW_SOURCE_PREFIX)
        ? faces.get(Number(row.sourceName.slice(REVIEW_SOURCE_PREFIX.length)))
        : undefined;
      return { id, sourceName: row.sourceName, ...(reviewFace ? { reviewFace } : {}) };
    });
  }

  /**
   * The enrolment's descriptor replaced by one of the configured recipe, as a gallery change (same id, same
   * person). False when it was removed or re-described meanwhile (nothing changed).
   */
  async storeEnrolmentDescriptor(id: number, descriptor: Float32Array, recipe: DescriptorRecipe): Promise<boolean> {
    const stillWaiting: Statement = ['SELECT id FROM person_images WHERE id = ? AND descriptor_recipe <> ?', [id, recipe]];
    if ((await this.dataSource.query<unknown[]>(...stillWaiting)).length === 0) return false;
    await runInTransaction(this.dataSource, [
      bumpGalleryVersion(this.dataSource),
      logGalleryChanges({ ids: [id] }, true),
      [
        'UPDATE person_images SET descriptor = ?, descriptor_recipe = ?, redescription_error = NULL WHERE id = ?',
        [encodeDescriptor(descriptor), recipe, id],
      ],
      logGalleryChanges({ ids: [id] }, false),
    ]);
    return true;
  }

  /** The enrolment cannot be re-described (its image gone, no face in it): kept, out of the gallery, not tried again. */
  async markEnrolmentFailed(id: number, reason: string): Promise<void> {
    await this.dataSource.query('UPDATE person_images SET redescription_error = ? WHERE id = ? AND descriptor_recipe <> ?', [
      reason.slice(0, ERROR_LENGTH),
      id,
      this.recipe,
    ]);
  }

  /**
   * Up to `limit` images (after image `afterImageId`, in id order) with faces of another recipe not yet failed,
   * each with those faces.
   */
  async imagesToRedescribe(afterImageId: number, limit: number): Promise<ImageToRedescribe[]> {
    const images = await this.dataSource.query<Array<{ imageId: number | string; path: string }>>(
      'SELECT images.id AS imageId, images.path AS path FROM images WHERE images.id > ? AND EXISTS (' +
        'SELECT 1 FROM faces WHERE faces.image_id = images.id AND faces.descriptor IS NOT NULL AND faces.descriptor_recipe <> ? AND faces.redescription_error IS NULL' +
        ') ORDER BY images.id ASC LIMIT ?',
      [afterImageId, this.recipe, limit],
    );
    if (images.length === 0) return [];
    const ids = images.map((image) => Number(image.imageId));
    const faces = await this.dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('face')
      .select(['face.id', 'face.imageId', 'face.box.x', 'face.box.y', 'face.box.width', 'face.box.height'])
      .where(
        'face.image_id IN (:...ids) AND face.descriptor IS NOT NULL AND face.descriptor_recipe <> :recipe AND face.redescription_error IS NULL',
        { ids, recipe: this.recipe },
      )
      .orderBy('face.id', 'ASC')
      .getMany();
    return images.map((image) => ({
      imageId: Number(image.imageId),
      path: image.path,
      faces: faces.filter((face) => face.imageId === Number(image.imageId)).map((face) => ({ id: face.id, box: toFaceBox(face.box) })),
    }));
  }

  /**
   * New descriptors for faces of another recipe, and the faces that could not be re-described, in one transaction.
   * A face re-described keeps its person until the re-match job matches it (gallery version 0, no distance); a face
   * re-processed or re-described meanwhile (already of `recipe`) is left alone.
   */
  async storeFaceDescriptors(results: readonly FaceRedescription[]): Promise<void> {
    if (results.length === 0) return;
    await runInTransaction(
      this.dataSource,
      results.map((result): Statement =>
        'error' in result
          ? [
              'UPDATE faces SET redescription_error = ? WHERE id = ? AND descriptor_recipe <> ?',
              [result.error.slice(0, ERROR_LENGTH), result.faceId, this.recipe],
            ]
          : [
              'UPDATE faces SET descriptor = ?, descriptor_recipe = ?, gallery_version = 0, distance = NULL, redescription_error = NULL WHERE id = ? AND descriptor_recipe <> ?',
              [encodeDescriptor(result.descriptor), result.recipe, result.faceId, result.recipe],
            ],
      ),
    );
  }
}

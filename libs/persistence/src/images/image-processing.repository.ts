import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DescriptorRecipe, FaceBox, ImageStatus } from '@visage/domain';
import { FaceEntity } from './face.entity';
import { encodeDescriptor } from '../shared/descriptor-codec';
import { isForeignKeyViolation, truncateError } from '../shared/database-errors';
import { recordOutcomeEvents } from '../events/outcome-events';
import { failedEvent, findImage, LEASE_EXPIRED, msAfter, NO_CLAIM, updateImage } from './image-claims';
import { runInTransaction, Statement, toStatement } from '../shared/transactions';
import { ProcessingLimits } from './processing-limits';

export type ClaimResult = 'claimed' | 'not_found' | 'already_done' | 'busy';

/** A face as stored: the matched person or null, and the distance to the nearest known face (null: empty gallery). */
export interface StoredFace {
  box: FaceBox;
  score: number;
  personId: number | null;
  distance: number | null;
  /** Kept so the face can be matched again when the gallery changes, without the recognizer. */
  descriptor: Float32Array;
  /** How the recognizer computed `descriptor`. */
  recipe: DescriptorRecipe;
  /** What the quality rule judged and its verdict (absent: not measured, never low quality). */
  quality?: StoredFaceQuality;
}

export interface StoredFaceQuality {
  sharpness: number;
  yaw: number;
  pitch: number;
  roll: number;
  lowQuality: boolean;
  reasons: readonly string[];
}

export interface ProcessingOutcome {
  width: number;
  height: number;
  faces: StoredFace[];
  /** Version of the gallery every face was matched against. */
  galleryVersion: number;
}

export type CompleteResult =
  | { outcome: 'completed'; status: Extract<ImageStatus, 'processed' | 'unrecognized'> }
  /** Someone else owns the image now (our claim expired and was taken over, or this is a duplicate delivery). */
  | { outcome: 'claim_lost' }
  /** A matched person was deleted meanwhile (nothing stored): match again against a fresher gallery. */
  | { outcome: 'person_deleted' };

export type FailResult =
  /** `retryable`: the image is `retrying` (next attempt at `nextAttemptAt`); otherwise `failed` for good. */
  { outcome: 'recorded'; attempts: number; retryable: boolean; nextAttemptAt: Date | null } | { outcome: 'claim_lost' };

export type DeadLetterResult = 'marked' | 'not_found' | 'already_done' | 'busy';

const MAX_ERROR_LENGTH = 2_000;

/**
 * Every state change the image processor makes to an image it consumes (claim, lease, outcome, failure), each one
 * a single conditional statement (or one transaction), so that many consumers, duplicate deliveries and several
 * retry-job replicas can race without losing or double-processing an image. The retry paths are
 * `ImageRetryRepository`; what both share (the lease test, the clock rules) is `image-claims.ts`.
 */
/** An image as processing sees it: its file, its state, its attempts and its claim's lease. */
export interface ProcessingImage {
  id: number;
  path: string;
  status: ImageStatus;
  attempts: number;
  createdAt: Date;
  leaseExpiresAt: Date | null;
  nextAttemptAt: Date | null;
}

@Injectable()
export class ImageProcessingRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes the image for `consumerId` (use a token unique per processing attempt, max 64 chars) when it is
   * `pending`, `retrying`, or `processing` under an expired lease, with a lease of `claimTimeoutMs` that the
   * holder renews ({@link renewLease}). One conditional UPDATE: of two racing consumers exactly one sees an
   * affected row. `busy`: someone holds a live lease (its expiry is in `find(id).leaseExpiresAt`).
   */
  async claim(imageId: number, consumerId: string, policy: Pick<ProcessingLimits, 'claimTimeoutMs'>): Promise<ClaimResult> {
    const now = new Date();
    const result = await updateImage(this.dataSource)
      .set({
        status: 'processing',
        claimedBy: consumerId,
        claimedAt: now,
        leaseExpiresAt: msAfter(policy.claimTimeoutMs, now),
        nextAttemptAt: null,
        updatedAt: now,
      })
      .where('id = :imageId', { imageId })
      .andWhere(`(status IN ('pending', 'retrying') OR (status = 'processing' AND ${LEASE_EXPIRED}))`, { now })
      .execute();
    if (result.affected === 1) return 'claimed';
    const image = await this.find(imageId);
    if (!image) return 'not_found';
    return image.status === 'processing' ? 'busy' : 'already_done';
  }

  /**
   * Heartbeat of the holder: extends the lease to `leaseMs` from now while the claim is still ours. False when it
   * is not (taken over after the lease expired, or finished): the holder's later writes will be refused anyway.
   */
  async renewLease(imageId: number, consumerId: string, leaseMs: number): Promise<boolean> {
    const result = await updateImage(this.dataSource)
      .set({ leaseExpiresAt: msAfter(leaseMs, new Date()) })
      .where('id = :imageId', { imageId })
      .andWhere("status = 'processing' AND claimed_by = :consumerId", { consumerId })
      .execute();
    return result.affected === 1;
  }

  /**
   * Stores every face and the final status in one transaction, but only while the claim is still ours:
   * a duplicate delivery or a consumer whose claim expired and was taken over writes nothing. Each face keeps
   * its descriptor and the gallery version it was matched against, so the re-match job can follow the gallery.
   * The outcome event is written in the same transaction.
   */
  async complete(imageId: number, consumerId: string, outcome: ProcessingOutcome): Promise<CompleteResult> {
    const status = outcome.faces.some((face) => face.personId !== null) ? 'processed' : 'unrecognized';
    const now = new Date();
    const guard = toStatement(
      updateImage(this.dataSource)
        .set({
          status,
          width: outcome.width,
          height: outcome.height,
          lastError: null,
          permanentFailure: false,
          ...NO_CLAIM,
          nextAttemptAt: null,
          updatedAt: now,
        })
        .where('id = :imageId', { imageId })
        .andWhere("status = 'processing' AND claimed_by = :consumerId", { consumerId }),
    );
    // Faces of an earlier run (e.g. a manual re-run) are replaced, never duplicated.
    const statements: Statement[] = [
      guard,
      toStatement(this.dataSource.createQueryBuilder().delete().from(FaceEntity).where('image_id = :imageId', { imageId })),
    ];
    if (outcome.faces.length > 0) {
      statements.push(
        toStatement(
          this.dataSource
            .createQueryBuilder()
            .insert()
            .into(FaceEntity)
            .values(
              outcome.faces.map((face) => ({
                imageId,
                personId: face.personId,
                box: face.box,
                score: face.score,
                distance: face.distance,
                descriptor: encodeDescriptor(face.descriptor),
                descriptorRecipe: face.recipe,
                galleryVersion: outcome.galleryVersion,
                matchedAt: now,
                qualitySharpness: face.quality?.sharpness ?? null,
                qualityYaw: face.quality?.yaw ?? null,
                qualityPitch: face.quality?.pitch ?? null,
                qualityRoll: face.quality?.roll ?? null,
                lowQuality: face.quality?.lowQuality ?? false,
                qualityReasons: face.quality && face.quality.reasons.length > 0 ? face.quality.reasons.join(',') : null,
              })),
            )
            .updateEntity(false),
        ),
      );
    }
    statements.push(...recordOutcomeEvents(this.dataSource, { imageIds: [imageId] }, { statuses: [status], galleryVersion: outcome.galleryVersion }));
    try {
      const applied = await runInTransaction(this.dataSource, statements, { guarded: true });
      return applied ? { outcome: 'completed', status } : { outcome: 'claim_lost' };
    } catch (error) {
      // faces.person_id → persons: the gallery named someone deleted since it was loaded.
      if (isForeignKeyViolation(error)) return { outcome: 'person_deleted' };
      throw error;
    }
  }

  /**
   * Records a failed attempt: attempts + 1 and the error text. With attempts left and a transient error the image
   * is `retrying`, due `retryInMs` from now; a permanent failure (the file itself is bad) or the last attempt makes
   * it `failed`, which no automatic retry will change (with its outcome event, in the same transaction).
   */
  async fail(
    imageId: number,
    consumerId: string,
    error: string,
    options: { permanent: boolean; maxAttempts: number; retryInMs: number },
  ): Promise<FailResult> {
    const now = new Date();
    const maxAttempts = Math.trunc(options.maxAttempts);
    const final = options.permanent ? 'TRUE' : `attempts + 1 >= ${maxAttempts}`;
    const update = updateImage(this.dataSource)
      .set({
        status: () => `CASE WHEN ${final} THEN 'failed' ELSE 'retrying' END`,
        nextAttemptAt: () => `CASE WHEN ${final} THEN NULL ELSE :nextAttemptAt END`,
        attempts: () => 'attempts + 1',
        lastError: truncateError(error, MAX_ERROR_LENGTH),
        permanentFailure: options.permanent,
        ...NO_CLAIM,
        updatedAt: now,
      })
      .where('id = :imageId', { imageId })
      .andWhere("status = 'processing' AND claimed_by = :consumerId", { consumerId })
      .setParameter('nextAttemptAt', msAfter(options.retryInMs, now));
    const applied = await runInTransaction(this.dataSource, [toStatement(update), ...failedEvent(this.dataSource, imageId)], { guarded: true });
    if (!applied) return { outcome: 'claim_lost' };
    const image = await this.find(imageId);
    return {
      outcome: 'recorded',
      attempts: image?.attempts ?? 0,
      retryable: image?.status === 'retrying',
      nextAttemptAt: image?.nextAttemptAt ?? null,
    };
  }

  /** Gives the image back as `pending` without spending an attempt (the recognizer is down, not the image's fault). */
  async release(imageId: number, consumerId: string): Promise<boolean> {
    const result = await updateImage(this.dataSource)
      .set({ status: 'pending', ...NO_CLAIM, updatedAt: new Date() })
      .where('id = :imageId', { imageId })
      .andWhere("status = 'processing' AND claimed_by = :consumerId", { consumerId })
      .execute();
    return result.affected === 1;
  }

  /**
   * The queue gave up on the image's message: `failed` with the reason, and attempts raised to the limit so
   * the retry job stops too (a manual retry resets it). Never touches a finished image or a live claim,
   * since a duplicate message can die while another copy succeeded. An image that was not `failed` yet gets its
   * outcome event in the same transaction; an already failed one only takes the reason.
   */
  async markDeadLettered(imageId: number, reason: string, policy: Pick<ProcessingLimits, 'maxAttempts'>): Promise<DeadLetterResult> {
    const now = new Date();
    const deadLetter = (condition: string) =>
      toStatement(
        updateImage(this.dataSource)
          .set({
            status: 'failed',
            attempts: () => `CASE WHEN attempts < ${Math.trunc(policy.maxAttempts)} THEN ${Math.trunc(policy.maxAttempts)} ELSE attempts END`,
            lastError: truncateError(reason, MAX_ERROR_LENGTH),
            ...NO_CLAIM,
            nextAttemptAt: null,
            updatedAt: now,
          })
          .where('id = :imageId', { imageId })
          .andWhere(condition, { now }),
      );
    const newlyFailed = deadLetter(`(status IN ('pending', 'retrying') OR (status = 'processing' AND ${LEASE_EXPIRED}))`);
    if (await runInTransaction(this.dataSource, [newlyFailed, ...failedEvent(this.dataSource, imageId)], { guarded: true })) return 'marked';
    if (await runInTransaction(this.dataSource, [deadLetter("status = 'failed'")], { guarded: true })) return 'marked';
    const image = await this.find(imageId);
    if (!image) return 'not_found';
    return image.status === 'processing' ? 'busy' : 'already_done';
  }

  /** What processing reads of an image (a view, not the entity). */
  async find(imageId: number): Promise<ProcessingImage | null> {
    const image = await findImage(this.dataSource, imageId);
    if (!image) return null;
    const { id, path, status, attempts, createdAt, leaseExpiresAt, nextAttemptAt } = image;
    return { id, path, status, attempts, createdAt, leaseExpiresAt, nextAttemptAt };
  }
}

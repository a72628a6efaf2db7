import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DescriptorRecipe, FaceBox, ImageStatus } from '@visage/domain';
import { FaceEntity } from './face.entity';
import { ImageEntity } from './image.entity';
import { encodeDescriptor } from '../shared/descriptor-codec';
import { isForeignKeyViolation, truncateError } from '../shared/database-errors';
import { recordOutcomeEvents } from '../events/outcome-events';
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
export type RequeueResult = 'requeued' | 'not_found' | 'not_failed';

const MAX_ERROR_LENGTH = 2_000;
/** Bounds one sweep so a huge backlog is worked off over several ticks instead of in one giant publish burst. */
const DEFAULT_SWEEP_LIMIT = 500;

/** A claim whose holder stopped renewing it (`:now` bound by the caller); NULL: a claim from before leases existed. */
const LEASE_EXPIRED = '(lease_expires_at IS NULL OR lease_expires_at < :now)';
/** Columns of a claim, cleared whenever the image leaves `processing`. */
const NO_CLAIM = { claimedBy: null, claimedAt: null, leaseExpiresAt: null } as const;

/**
 * Every state change the image processor makes to an image, each one a single conditional statement
 * (or one transaction), so that many consumers, duplicate deliveries and several retry-job replicas
 * can race without losing or double-processing an image.
 *
 * Time thresholds are computed from this process's clock (all replicas are expected to run NTP);
 * every update sets `updated_at` explicitly so SQLite and MariaDB agree on precision and time zone.
 */
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
    const result = await this.updateImage()
      .set({
        status: 'processing',
        claimedBy: consumerId,
        claimedAt: now,
        leaseExpiresAt: this.later(policy.claimTimeoutMs, now),
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
    const result = await this.updateImage()
      .set({ leaseExpiresAt: this.later(leaseMs, new Date()) })
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
      this.updateImage()
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
                boxX: face.box.x,
                boxY: face.box.y,
                boxWidth: face.box.width,
                boxHeight: face.box.height,
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
    const update = this.updateImage()
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
      .setParameter('nextAttemptAt', this.later(options.retryInMs, now));
    const applied = await runInTransaction(this.dataSource, [toStatement(update), ...this.failedEvent(imageId)], { guarded: true });
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
    const result = await this.updateImage()
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
        this.updateImage()
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
    if (await runInTransaction(this.dataSource, [newlyFailed, ...this.failedEvent(imageId)], { guarded: true })) return 'marked';
    if (await runInTransaction(this.dataSource, [deadLetter("status = 'failed'")], { guarded: true })) return 'marked';
    const image = await this.find(imageId);
    if (!image) return 'not_found';
    return image.status === 'processing' ? 'busy' : 'already_done';
  }

  /**
   * Manual retry (`POST /images/:id/retry`): a failed image, even a permanent failure (the user may have
   * replaced the file), gets a fresh set of attempts and becomes `pending`. Anything else is `not_failed`
   * (a pending one is already on its way; the stale-pending sweep re-publishes it if its message was lost).
   * The caller publishes when the result is `requeued`.
   */
  async requeueForRetry(imageId: number): Promise<RequeueResult> {
    const result = await this.updateImage()
      .set({ status: 'pending', attempts: 0, permanentFailure: false, ...NO_CLAIM, nextAttemptAt: null, updatedAt: new Date() })
      .where('id = :imageId', { imageId })
      .andWhere("status = 'failed'")
      .execute();
    if (result.affected === 1) return 'requeued';
    return (await this.find(imageId)) ? 'not_failed' : 'not_found';
  }

  /**
   * Retry job: `retrying` images whose next attempt is `overdueByMs` past (their requeued message was lost, e.g.
   * with an in-process queue that restarted); a negative value also takes those due within that time. Their
   * `next_attempt_at` becomes now, so the next tick does not publish them again at once.
   */
  async touchOverdueRetries(overdueByMs: number, limit = DEFAULT_SWEEP_LIMIT): Promise<number[]> {
    const now = new Date();
    return this.sweep(
      "status = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= :dueBefore)",
      { dueBefore: this.ago(overdueByMs, now) },
      { nextAttemptAt: now, updatedAt: now },
      limit,
    );
  }

  /**
   * Retry job: `pending` images untouched for pendingStaleMs (their publish was probably lost). Their
   * updated_at is touched so the next tick does not publish them again at once.
   */
  async touchStalePending(policy: Pick<ProcessingLimits, 'pendingStaleMs'>, limit = DEFAULT_SWEEP_LIMIT): Promise<number[]> {
    const now = new Date();
    return this.sweep(
      "status = 'pending' AND updated_at <= :staleBefore",
      { staleBefore: this.ago(policy.pendingStaleMs, now) },
      { updatedAt: now },
      limit,
    );
  }

  /**
   * Retry job: `processing` images whose lease expired (the consumer crashed or hung: nobody renewed it). The
   * abandoned run counts as an attempt, so an image that crashes its consumer cannot loop forever: it becomes
   * `retrying`, due now, or `failed` once attempts reach the limit (with its outcome event). Returns the ids made
   * `retrying`.
   */
  async resetExpiredClaims(policy: Pick<ProcessingLimits, 'maxAttempts'>, limit = DEFAULT_SWEEP_LIMIT): Promise<number[]> {
    const now = new Date();
    const final = `attempts + 1 >= ${Math.trunc(policy.maxAttempts)}`;
    const ids = await this.sweep(
      `status = 'processing' AND ${LEASE_EXPIRED}`,
      { now },
      {
        status: () => `CASE WHEN ${final} THEN 'failed' ELSE 'retrying' END`,
        nextAttemptAt: () => `CASE WHEN ${final} THEN NULL ELSE :now END`,
        attempts: () => 'attempts + 1',
        lastError: 'lease expired: the consumer stopped or hung while processing',
        ...NO_CLAIM,
        updatedAt: now,
      },
      limit,
      (imageId) => this.failedEvent(imageId),
    );
    if (ids.length === 0) return [];
    const rows = await this.dataSource
      .getRepository(ImageEntity)
      .createQueryBuilder('image')
      .select('image.id', 'id')
      .where('image.id IN (:...ids)', { ids })
      .andWhere("image.status = 'retrying'")
      .getRawMany<{ id: number }>();
    return rows.map((row) => Number(row.id));
  }

  async find(imageId: number): Promise<ImageEntity | null> {
    return this.dataSource.getRepository(ImageEntity).findOne({ where: { id: imageId } });
  }

  /** The submissions' request ids (absent: unknown image or none stored), so a republished image keeps its id. */
  async requestIds(imageIds: number[]): Promise<Map<number, string>> {
    if (imageIds.length === 0) return new Map();
    const rows: Array<{ id: number | string; requestId: string | null }> = await this.dataSource
      .getRepository(ImageEntity)
      .createQueryBuilder('image')
      .select(['image.id AS id', 'image.request_id AS requestId'])
      .where('image.id IN (:...ids)', { ids: imageIds })
      .getRawMany();
    return new Map(rows.flatMap((row) => (row.requestId ? [[Number(row.id), row.requestId] as const] : [])));
  }

  private updateImage() {
    return this.dataSource.createQueryBuilder().update(ImageEntity);
  }

  private ago(ms: number, now: Date): Date {
    return new Date(now.getTime() - ms);
  }

  private later(ms: number, now: Date): Date {
    return new Date(now.getTime() + ms);
  }

  /**
   * Selects candidates, then moves each with its own conditional UPDATE (the condition re-checked), so a
   * row a consumer claimed in between is skipped and only rows this call really moved are returned. `alongside`
   * adds statements to each move's transaction.
   */
  private async sweep(
    condition: string,
    parameters: Record<string, unknown>,
    changes: Parameters<ReturnType<ImageProcessingRepository['updateImage']>['set']>[0],
    limit: number,
    alongside: (imageId: number) => Statement[] = () => [],
  ): Promise<number[]> {
    const candidates = await this.dataSource
      .getRepository(ImageEntity)
      .createQueryBuilder('image')
      .select('image.id', 'id')
      .where(condition, parameters)
      .orderBy('image.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number }>();
    const moved: number[] = [];
    for (const { id } of candidates) {
      const imageId = Number(id);
      const move = this.updateImage().set(changes).where('id = :imageId', { imageId }).andWhere(condition, parameters);
      const extra = alongside(imageId);
      const applied =
        extra.length > 0
          ? (await runInTransaction(this.dataSource, [toStatement(move), ...extra], { guarded: true })) !== undefined
          : (await move.execute()).affected === 1;
      if (applied) moved.push(imageId);
    }
    return moved;
  }

  /** The outcome event of an image the same transaction made `failed` for good (none when it did not). */
  private failedEvent(imageId: number): Statement[] {
    return recordOutcomeEvents(this.dataSource, { imageIds: [imageId] }, { statuses: ['failed'], galleryVersion: 'current' });
  }
}

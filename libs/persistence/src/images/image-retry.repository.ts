import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ImageEntity } from './image.entity';
import { runInTransaction, Statement, toStatement } from '../shared/transactions';
import { ProcessingLimits } from './processing-limits';
import { failedEvent, findImage, LEASE_EXPIRED, msBefore, NO_CLAIM, updateImage } from './image-claims';

export type RequeueResult = 'requeued' | 'not_found' | 'not_failed';

/** Bounds one sweep so a huge backlog is worked off over several ticks instead of in one giant publish burst. */
const DEFAULT_SWEEP_LIMIT = 500;

/**
 * The ways an image gets another attempt: the manual retry, and the retry job's sweeps of images whose message or
 * consumer was lost. Each move is a conditional statement (or one transaction) re-checked per image, so several
 * retry-job replicas and the consumers can race without losing or double-processing an image.
 */
@Injectable()
export class ImageRetryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Manual retry (`POST /images/:id/retry`): a failed image, even a permanent failure (the user may have
   * replaced the file), gets a fresh set of attempts and becomes `pending`. Anything else is `not_failed`
   * (a pending one is already on its way; the stale-pending sweep re-publishes it if its message was lost).
   * The caller publishes when the result is `requeued`.
   */
  async requeueForRetry(imageId: number): Promise<RequeueResult> {
    const result = await updateImage(this.dataSource)
      .set({ status: 'pending', attempts: 0, permanentFailure: false, ...NO_CLAIM, nextAttemptAt: null, updatedAt: new Date() })
      .where('id = :imageId', { imageId })
      .andWhere("status = 'failed'")
      .execute();
    if (result.affected === 1) return 'requeued';
    return (await findImage(this.dataSource, imageId)) ? 'not_failed' : 'not_found';
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
      { dueBefore: msBefore(overdueByMs, now) },
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
      { staleBefore: msBefore(policy.pendingStaleMs, now) },
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
      (imageId) => failedEvent(this.dataSource, imageId),
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

  /**
   * Selects candidates, then moves each with its own conditional UPDATE (the condition re-checked), so a
   * row a consumer claimed in between is skipped and only rows this call really moved are returned. `alongside`
   * adds statements to each move's transaction.
   */
  private async sweep(
    condition: string,
    parameters: Record<string, unknown>,
    changes: Parameters<ReturnType<typeof updateImage>['set']>[0],
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
      const move = updateImage(this.dataSource).set(changes).where('id = :imageId', { imageId }).andWhere(condition, parameters);
      const extra = alongside(imageId);
      const applied =
        extra.length > 0
          ? (await runInTransaction(this.dataSource, [toStatement(move), ...extra], { guarded: true })) !== undefined
          : (await move.execute()).affected === 1;
      if (applied) moved.push(imageId);
    }
    return moved;
  }
}

import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';
import { DatabaseLock, ImageProcessingRepository, LockRepository } from '@visage/persistence';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';
import { ImagePublisher } from '@visage/image-queue';

const CRON_NAME = 'image-retry';

/** Whether the cron is registered; tests run ticks by hand. */
export const RETRY_JOB_SCHEDULED = Symbol('RETRY_JOB_SCHEDULED');

export type RetryTickReport =
  | { ran: false; reason: 'locked' | 'breaker_open' | 'already_running' }
  | { ran: true; expiredClaims: number[]; dueFailures: number[]; stalePending: number[]; published: number; publishErrors: number };

/**
 * Safety net behind the queue's own redelivery, once per RETRY_CRON tick and in one replica only
 * (job lock): resets expired claims, requeues failed images whose backoff has passed, re-publishes
 * pending images whose message was probably lost.
 */
@Injectable()
export class RetryJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RetryJob');
  private running = false;
  private cron: CronJob | undefined;

  constructor(
    private readonly repository: ImageProcessingRepository,
    private readonly locks: LockRepository,
    private readonly publisher: ImagePublisher,
    private readonly breaker: RecognizerBreaker,
    @Inject(PROCESSOR_SETTINGS) private readonly settings: ProcessorSettings,
    private readonly schedulerRegistry: SchedulerRegistry,
    @Optional() @Inject(RETRY_JOB_SCHEDULED) private readonly scheduled: boolean = true,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.scheduled) return;
    // RETRY_CRON is configuration, so the job is registered at runtime rather than with a static @Cron().
    this.cron = CronJob.from({ cronTime: this.settings.retryCron, onTick: () => void this.tick(), start: true });
    this.schedulerRegistry.addCronJob(CRON_NAME, this.cron as unknown as Parameters<SchedulerRegistry['addCronJob']>[1]);
  }

  onModuleDestroy(): void {
    if (!this.cron) return;
    void this.cron.stop();
    this.schedulerRegistry.deleteCronJob(CRON_NAME);
    this.cron = undefined;
  }

  async tick(): Promise<RetryTickReport> {
    try {
      const report = await this.runOnce();
      if (report.ran && report.published + report.publishErrors > 0) {
        this.logger.log(
          `requeued ${report.published} image(s) (expired claims ${report.expiredClaims.length}, due failures ${report.dueFailures.length}, stale pending ${report.stalePending.length})` +
            (report.publishErrors ? `; ${report.publishErrors} publish error(s), retried next tick` : ''),
        );
      }
      return report;
    } catch (error) {
      this.logger.error(`retry tick failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  async runOnce(): Promise<RetryTickReport> {
    if (this.running) return { ran: false, reason: 'already_running' };
    // With the recognizer down every republished message would only be deferred; another replica whose
    // circuit is closed can take the lock instead.
    if (!this.breaker.isClosed) return { ran: false, reason: 'breaker_open' };
    this.running = true;
    try {
      const lock = await this.locks.tryLock(DatabaseLock.ImageRetry);
      if (!lock) return { ran: false, reason: 'locked' };
      try {
        const policy = this.settings.policy;
        // Order matters: each sweep leaves rows with a fresh updated_at, so the stale sweep skips them.
        const expiredClaims = await this.repository.resetExpiredClaims(policy);
        const dueFailures = await this.repository.requeueDueFailures(policy);
        const stalePending = await this.repository.touchStalePending(policy);
        const { published, publishErrors } = await this.publishAll([...expiredClaims, ...dueFailures, ...stalePending]);
        return { ran: true, expiredClaims, dueFailures, stalePending, published, publishErrors };
      } finally {
        await lock.release();
      }
    } finally {
      this.running = false;
    }
  }

  /** A failed publish leaves the row `pending`; the stale sweep of a later tick publishes it again. */
  private async publishAll(imageIds: number[]): Promise<{ published: number; publishErrors: number }> {
    let published = 0;
    let publishErrors = 0;
    for (const imageId of new Set(imageIds)) {
      // ImagePublisher logs a failure itself.
      if (await this.publisher.publish(imageId)) published += 1;
      else publishErrors += 1;
    }
    return { published, publishErrors };
  }
}

import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';
import { DatabaseLock, ImageProcessingRepository, LockRepository } from '@visage/persistence';
import { JobRuns } from '../job-runs';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';
import { ImagePublisher } from '@visage/image-queue';
import { describeError } from '@visage/domain';
import { metrics } from '@visage/observability';

const CRON_NAME = 'image-retry';

/** Whether the cron is registered; tests run ticks by hand. */
export const RETRY_JOB_SCHEDULED = Symbol('RETRY_JOB_SCHEDULED');

/**
 * `tick`: the scheduled sweeps. `boot`: the first pass after a start with the in-process queue, whose messages died
 * with the previous process: every pending and retrying image is published again, not only the stale ones.
 */
export type RetryPass = 'tick' | 'boot';

export type RetryTickReport =
  | { ran: false; reason: 'locked' | 'breaker_open' | 'already_running' }
  | { ran: true; expiredClaims: number[]; dueFailures: number[]; stalePending: number[]; published: number; publishErrors: number };

/**
 * Recovery behind the queue's own redelivery, once per RETRY_CRON tick (every 2 s by default) and in one replica
 * only (job lock): takes back images whose lease expired (a crashed consumer) and publishes them, and, as the
 * last resort, re-publishes retrying images long past their next attempt and pending images whose message was
 * probably lost.
 */
@Injectable()
export class RetryJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RetryJob');
  private readonly runs: JobRuns;
  private cron: CronJob | undefined;

  constructor(
    private readonly repository: ImageProcessingRepository,
    locks: LockRepository,
    private readonly publisher: ImagePublisher,
    private readonly breaker: RecognizerBreaker,
    @Inject(PROCESSOR_SETTINGS) private readonly settings: ProcessorSettings,
    private readonly schedulerRegistry: SchedulerRegistry,
    @Optional() @Inject(RETRY_JOB_SCHEDULED) private readonly scheduled: boolean = true,
  ) {
    // Scheduled by RETRY_CRON, not by JobRuns' interval.
    this.runs = new JobRuns(locks, DatabaseLock.ImageRetry);
  }

  onApplicationBootstrap(): void {
    if (!this.scheduled) return;
    // tick() logs its failure and rethrows for callers that await it; a scheduled run has nobody to rethrow to, and an
    // unhandled rejection would end the process.
    const scheduledTick = () => void this.tick().catch(() => undefined);
    if (!this.settings.queueKeepsMessages) void this.tick('boot').catch(() => undefined);
    // RETRY_CRON is configuration, so the job is registered at runtime rather than with a static @Cron().
    this.cron = CronJob.from({ cronTime: this.settings.retryCron, onTick: scheduledTick, start: true });
    this.schedulerRegistry.addCronJob(CRON_NAME, this.cron as unknown as Parameters<SchedulerRegistry['addCronJob']>[1]);
  }

  onModuleDestroy(): void {
    this.stop();
  }

  /** No further ticks (a running one finishes); shutdown calls it before draining the consumer. */
  stop(): void {
    if (!this.cron) return;
    void this.cron.stop();
    this.schedulerRegistry.deleteCronJob(CRON_NAME);
    this.cron = undefined;
  }

  async tick(pass: RetryPass = 'tick'): Promise<RetryTickReport> {
    try {
      const report = await this.runOnce(pass);
      if (report.ran && report.published + report.publishErrors > 0) {
        this.logger.log(
          `${pass === 'boot' ? 'after start, ' : ''}requeued ${report.published} image(s) (expired leases ${report.expiredClaims.length}, overdue retries ${report.dueFailures.length}, stale pending ${report.stalePending.length})` +
            (report.publishErrors ? `; ${report.publishErrors} not taken by the queue yet, republished as soon as it answers` : ''),
        );
      }
      return report;
    } catch (error) {
      this.logger.error(`retry tick failed: ${describeError(error)}`);
      throw error;
    }
  }

  runOnce(pass: RetryPass = 'tick'): Promise<RetryTickReport> {
    return this.runs.once(async (): Promise<RetryTickReport> => {
      // With the recognizer down every republished message would only be deferred; another replica whose
      // circuit is closed can take the lock instead.
      if (!this.breaker.isClosed) return { ran: false, reason: 'breaker_open' };
      return this.runs.locked(() => this.requeue(pass));
    });
  }

  private async requeue(pass: RetryPass): Promise<RetryTickReport> {
    const policy = this.settings.policy;
    const boot = pass === 'boot';
    // Order matters: each sweep leaves rows with a fresh updated_at, so the stale sweep skips them.
    const expiredClaims = await this.repository.resetExpiredClaims(policy);
    // At boot: every retrying image, due or not (all are due within the longest backoff).
    const dueFailures = await this.repository.touchOverdueRetries(boot ? -this.settings.retryBackoff.requeueMaxDelayMs : policy.pendingStaleMs);
    const stalePending = await this.repository.touchStalePending(boot ? { pendingStaleMs: 0 } : policy);
    const { published, publishErrors } = await this.publishAll([...expiredClaims, ...dueFailures, ...stalePending]);
    metrics.retryJobRequeued.inc({ reason: 'expired_claim' }, expiredClaims.length);
    metrics.retryJobRequeued.inc({ reason: 'due_failure' }, dueFailures.length);
    metrics.retryJobRequeued.inc({ reason: 'stale_pending' }, stalePending.length);
    return { ran: true, expiredClaims, dueFailures, stalePending, published, publishErrors };
  }

  /** A publish the queue did not take is kept by ImagePublisher and republished as soon as the queue answers. */
  private async publishAll(imageIds: number[]): Promise<{ published: number; publishErrors: number }> {
    let published = 0;
    let publishErrors = 0;
    const unique = [...new Set(imageIds)];
    // Each image keeps its submission's request id, so its lines after a recovery are found by the same id.
    const requestIds = await this.repository.requestIds(unique);
    for (const imageId of unique) {
      // ImagePublisher logs a failure itself.
      if (await this.publisher.publish(imageId, requestIds.get(imageId))) published += 1;
      else publishErrors += 1;
    }
    return { published, publishErrors };
  }
}

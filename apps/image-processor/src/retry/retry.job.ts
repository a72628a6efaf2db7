import { Injectable, Logger, Optional } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RecognizerBreaker } from '../breaker/recognizer-breaker';
import { DatabaseLock, ImageRetryRepository, LockRepository } from '@visage/persistence';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';
import { ImagePublisher } from '@visage/image-queue';
import { ScheduledJobProvider } from '@visage/domain';
import { metrics } from '@visage/observability';

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
export class RetryJob extends ScheduledJobProvider<RetryTickReport> {
  constructor(
    private readonly repository: ImageRetryRepository,
    locks: LockRepository,
    private readonly publisher: ImagePublisher,
    private readonly breaker: RecognizerBreaker,
    @Inject(PROCESSOR_SETTINGS) private readonly settings: ProcessorSettings,
    @Optional() @Inject(RETRY_JOB_SCHEDULED) scheduled: boolean = true,
    @Optional() schedulerRegistry?: SchedulerRegistry,
  ) {
    super({
      name: 'retry tick',
      // On RETRY_CRON: configuration, so declared at runtime rather than with a static @Cron().
      schedule: { cron: settings.retryCron },
      lock: locks.jobLock(DatabaseLock.ImageRetry),
      logger: new Logger('RetryJob'),
      // The retry job is a @nestjs/schedule cron job: registered in the app's SchedulerRegistry (cron's CronJob type
      // there comes from @nestjs/schedule's own copy of cron, hence the cast).
      cronRegistry: schedulerRegistry && {
        addCronJob: (name, job) => schedulerRegistry.addCronJob(name, job as unknown as Parameters<SchedulerRegistry['addCronJob']>[1]),
        deleteCronJob: (name) => schedulerRegistry.deleteCronJob(name),
      },
      scheduled,
    });
  }

  override onApplicationBootstrap(): void {
    // Not awaited: the boot pass must not hold up the start (tick logs its failure and never rejects).
    if (this.scheduled && !this.settings.queueKeepsMessages) void this.tick('boot');
    super.onApplicationBootstrap();
  }

  /**
   * One pass with its log line; a failure is logged and ends as undefined (the next tick resumes). Its own, since
   * the boot pass says so in its line.
   */
  override tick(pass: RetryPass = 'tick'): Promise<RetryTickReport | undefined> {
    return this.runs.logFailure(async () => {
      const report = await this.runOnce(pass);
      if (report.ran && report.published + report.publishErrors > 0) {
        this.logger.log(
          `${pass === 'boot' ? 'after start, ' : ''}requeued ${report.published} image(s) (expired leases ${report.expiredClaims.length}, overdue retries ${report.dueFailures.length}, stale pending ${report.stalePending.length})` +
            (report.publishErrors ? `; ${report.publishErrors} not taken by the queue yet, republished as soon as it answers` : ''),
        );
      }
      return report;
    });
  }

  override runOnce(pass: RetryPass = 'tick'): Promise<RetryTickReport> {
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

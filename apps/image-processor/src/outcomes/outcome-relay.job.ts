import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { ConfigService } from '@visage/config';
import { describeError, ScheduledJobProvider } from '@visage/domain';
import { metrics } from '@visage/observability';
import { DatabaseLock, LockRepository, OutcomeEventRepository } from '@visage/persistence';
import { emitWithin, QUEUE_CLIENT } from '@visage/queue';

/** How often the outbox is read: one indexed query when it is empty. */
export const OUTCOME_RELAY_EVERY_MS = 1_000;
/** Events read, published and marked per round. */
const RELAY_BATCH_SIZE = 100;
/** SQLite lease of the relay lock; a run stops after half of it and the next tick resumes. */
const LEASE_MS = 60_000;
const RUN_BUDGET_MS = LEASE_MS / 2;
/** Published events whose webhook deliveries are done are kept this long (a look back for operators), then deleted. */
export const OUTCOME_RETENTION_MS = 24 * 60 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export type OutcomeRelayReport =
  { ran: false; reason: 'already_running' | 'locked' } | { ran: true; published: number; unpublished: number; queueError?: string };

/**
 * Relays the outcome-event outbox to the queue topic `OUTCOME_EVENTS_TOPIC` (in-process in embedded mode; none when
 * it is empty): events in
 * id order, each published and acknowledged before the batch is marked published (with its webhook deliveries,
 * in one transaction). A crash between the two publishes the batch again with the same `eventId`s: at least
 * once. One replica at a time (DatabaseLock.OutcomeRelay); a queue that does not answer leaves the events in the
 * outbox for the next tick, so processing never waits for the relay.
 */
@Injectable()
export class OutcomeRelayJob extends ScheduledJobProvider<OutcomeRelayReport> {
  private lastPrune = 0;
  private queueDown = false;

  constructor(
    private readonly outbox: OutcomeEventRepository,
    locks: LockRepository,
    @Inject(QUEUE_CLIENT) private readonly client: Pick<ClientProxy, 'emit'>,
    private readonly config: ConfigService,
  ) {
    super({
      name: 'outcome relay',
      schedule: { everyMs: OUTCOME_RELAY_EVERY_MS },
      lock: locks.jobLock(DatabaseLock.OutcomeRelay, { leaseMs: LEASE_MS }),
      logger: new Logger('OutcomeRelay'),
    });
  }

  override onApplicationBootstrap(): void {
    if (!this.config.get('OUTCOME_EVENTS_TOPIC'))
      this.logger.log('OUTCOME_EVENTS_TOPIC is empty: outcome events go to webhooks only, on no queue topic');
    super.onApplicationBootstrap();
  }

  /** A queue that stops or starts taking events again is logged once, on the change. */
  protected override logReport(report: OutcomeRelayReport): void {
    if (report.ran && report.queueError && !this.queueDown) {
      this.logger.warn(
        `the queue did not take outcome events (${report.queueError}); ${report.unpublished} wait in the outbox, retried every second`,
      );
    }
    if (report.ran && !report.queueError && this.queueDown) this.logger.log('the queue takes outcome events again');
    if (report.ran) this.queueDown = report.queueError !== undefined;
  }

  override runOnce(): Promise<OutcomeRelayReport> {
    return this.runs.once(async (): Promise<OutcomeRelayReport> => {
      // An empty outbox with no prune due needs no lock (on SQLite, taking and releasing it are two writes a second).
      if (!this.pruneDue() && (await this.outbox.countUnpublished()) === 0) {
        metrics.outcomeEventsUnpublished.set(0);
        return { ran: true, published: 0, unpublished: 0 };
      }
      return this.runs.locked(() => this.relay());
    });
  }

  private pruneDue(): boolean {
    return Date.now() - this.lastPrune > PRUNE_EVERY_MS;
  }

  private async relay(): Promise<OutcomeRelayReport> {
    const started = Date.now();
    const endpoints = this.config.get('WEBHOOK_URLS');
    // Empty: the topic is switched off; events are still marked published, which queues their webhook deliveries.
    const topic = this.config.get('OUTCOME_EVENTS_TOPIC');
    let published = 0;
    let queueError: string | undefined;
    while (queueError === undefined && Date.now() - started < RUN_BUDGET_MS) {
      const batch = await this.outbox.unpublished(RELAY_BATCH_SIZE);
      if (batch.length === 0) break;
      const done: number[] = [];
      for (const { rowId, event } of batch) {
        try {
          if (topic) await emitWithin(this.client, topic, event);
          done.push(rowId);
        } catch (error) {
          queueError = describeError(error);
          break;
        }
      }
      await this.outbox.markPublished(done, endpoints);
      published += done.length;
      metrics.outcomeEventsPublished.inc(done.length);
      if (batch.length < RELAY_BATCH_SIZE) break;
    }
    const unpublished = await this.outbox.countUnpublished();
    metrics.outcomeEventsUnpublished.set(unpublished);
    if (this.pruneDue()) {
      this.lastPrune = Date.now();
      await this.outbox.prunePublished(new Date(Date.now() - OUTCOME_RETENTION_MS));
    }
    return { ran: true, published, unpublished, ...(queueError === undefined ? {} : { queueError }) };
  }
}

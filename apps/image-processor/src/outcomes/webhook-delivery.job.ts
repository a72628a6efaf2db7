import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { cappedBackoffMs, describeError, ScheduledJobProvider } from '@visage/domain';
import { metrics } from '@visage/observability';
import { DatabaseLock, DueWebhookDelivery, LockRepository, OutcomeEventRepository } from '@visage/persistence';
import { WebhookClient } from './webhook-client';

/** How often due deliveries are looked for. */
export const WEBHOOK_EVERY_MS = 1_000;
/** Deliveries read per endpoint and round. */
const DELIVERY_BATCH_SIZE = 50;
const LEASE_MS = 60_000;
const RUN_BUDGET_MS = LEASE_MS / 2;

/** What readiness shows of one endpoint (by host: a URL's path or query may hold a token). */
export interface WebhookEndpointState {
  endpoint: string;
  /** Unknown until the first POST from this replica. */
  state: 'up' | 'down' | 'unknown';
  consecutiveFailures: number;
  lastError?: string;
  lastAttemptAt?: string;
  /** Deliveries waiting (as of this replica's last run). */
  pending: number;
}

export type WebhookReport =
  { ran: false; reason: 'no_endpoints' | 'already_running' | 'locked' } | { ran: true; delivered: number; failed: number; abandoned: number };

/** The host of a webhook URL: its label in metrics and readiness. */
export function endpointLabel(url: string): string {
  return new URL(url).host;
}

/**
 * POSTs every published outcome event to each WEBHOOK_URLS endpoint, signed (`X-Visage-Signature`), from the
 * `webhook_deliveries` rows the relay writes. A failed POST is retried after WEBHOOK_BACKOFF_BASE_MS doubling up to
 * WEBHOOK_BACKOFF_MAX_MS, and given up after WEBHOOK_MAX_ATTEMPTS. Endpoints are served side by side, and an
 * endpoint that fails is left alone for the rest of the round, so a dead one costs one attempt per round and never
 * delays another. It runs apart from processing (own timer, own lock, one replica): a dead endpoint shows in
 * readiness details and metrics, never as an image failure.
 */
@Injectable()
export class WebhookDeliveryJob extends ScheduledJobProvider<WebhookReport> {
  private readonly endpoints: string[];
  private readonly states = new Map<string, WebhookEndpointState>();
  private staleDropped = false;

  constructor(
    private readonly outbox: OutcomeEventRepository,
    locks: LockRepository,
    private readonly client: WebhookClient,
    private readonly config: ConfigService,
  ) {
    super({
      name: 'webhook delivery',
      schedule: { everyMs: WEBHOOK_EVERY_MS },
      lock: locks.jobLock(DatabaseLock.WebhookDelivery, { leaseMs: LEASE_MS }),
      logger: new Logger('Webhooks'),
      // No endpoint: nothing to deliver, no timer.
      scheduled: config.get('WEBHOOK_URLS').length > 0,
    });
    this.endpoints = config.get('WEBHOOK_URLS');
    for (const url of this.endpoints) this.states.set(url, { endpoint: endpointLabel(url), state: 'unknown', consecutiveFailures: 0, pending: 0 });
  }

  /** The endpoints as this replica last saw them, in WEBHOOK_URLS order. */
  snapshot(): WebhookEndpointState[] {
    return [...this.states.values()].map((state) => ({ ...state }));
  }

  override async runOnce(): Promise<WebhookReport> {
    if (this.endpoints.length === 0) return { ran: false, reason: 'no_endpoints' };
    return this.runs.once(() => this.runs.locked(() => this.deliverAll()));
  }

  private async deliverAll(): Promise<WebhookReport> {
    if (!this.staleDropped) {
      const dropped = await this.outbox.dropDeliveriesExcept(this.endpoints);
      if (dropped > 0) this.logger.log(`dropped ${dropped} delivery(ies) to endpoints no longer in WEBHOOK_URLS`);
      this.staleDropped = true;
    }
    const rounds = await Promise.all(this.endpoints.map((url) => this.deliverTo(url)));
    const pending = await this.outbox.pendingDeliveries();
    for (const [url, state] of this.states) state.pending = pending.get(url) ?? 0;
    return {
      ran: true,
      delivered: rounds.reduce((sum, round) => sum + round.delivered, 0),
      failed: rounds.reduce((sum, round) => sum + round.failed, 0),
      abandoned: rounds.reduce((sum, round) => sum + round.abandoned, 0),
    };
  }

  private async deliverTo(url: string): Promise<{ delivered: number; failed: number; abandoned: number }> {
    const started = Date.now();
    const round = { delivered: 0, failed: 0, abandoned: 0 };
    for (;;) {
      const due = await this.outbox.dueDeliveries(url, DELIVERY_BATCH_SIZE);
      for (const delivery of due) {
        if (!(await this.attempt(url, delivery, round))) return round;
      }
      if (due.length < DELIVERY_BATCH_SIZE || Date.now() - started > RUN_BUDGET_MS) return round;
    }
  }

  /** One POST; false when it failed (the endpoint is left alone until the next round). */
  private async attempt(
    url: string,
    delivery: DueWebhookDelivery,
    round: { delivered: number; failed: number; abandoned: number },
  ): Promise<boolean> {
    const state = this.states.get(url) as WebhookEndpointState;
    const label = state.endpoint;
    state.lastAttemptAt = new Date().toISOString();
    try {
      await this.client.post(url, JSON.stringify(delivery.event), {
        secret: this.config.get('WEBHOOK_SECRET') ?? '',
        eventId: delivery.event.eventId,
        timeoutMs: this.config.get('WEBHOOK_TIMEOUT_MS'),
      });
    } catch (error) {
      const reason = describeError(error);
      const attempts = delivery.attempts + 1;
      if (state.state !== 'down') this.logger.warn(`webhook ${label} is down (${reason}); deliveries are retried with backoff`);
      Object.assign(state, { state: 'down', consecutiveFailures: state.consecutiveFailures + 1, lastError: reason });
      metrics.webhookEndpointUp.set({ endpoint: label }, 0);
      if (attempts >= this.config.get('WEBHOOK_MAX_ATTEMPTS')) {
        await this.outbox.finishDelivery(delivery.id);
        metrics.webhookDeliveries.inc({ endpoint: label, result: 'abandoned' });
        round.abandoned += 1;
        this.logger.warn(`webhook ${label}: event ${delivery.event.eventId} given up after ${attempts} attempts (${reason})`);
      } else {
        await this.outbox.postponeDelivery(delivery.id, new Date(Date.now() + this.backoffMs(attempts)), reason);
        metrics.webhookDeliveries.inc({ endpoint: label, result: 'failed' });
        round.failed += 1;
      }
      return false;
    }
    await this.outbox.finishDelivery(delivery.id);
    if (state.state === 'down') this.logger.log(`webhook ${label} answers again`);
    Object.assign(state, { state: 'up', consecutiveFailures: 0, lastError: undefined });
    metrics.webhookEndpointUp.set({ endpoint: label }, 1);
    metrics.webhookDeliveries.inc({ endpoint: label, result: 'delivered' });
    round.delivered += 1;
    return true;
  }

  /** Wait after the n-th failed attempt: base doubled per attempt, capped. */
  private backoffMs(attempts: number): number {
    return cappedBackoffMs(attempts, this.config.get('WEBHOOK_BACKOFF_BASE_MS'), this.config.get('WEBHOOK_BACKOFF_MAX_MS'));
  }
}

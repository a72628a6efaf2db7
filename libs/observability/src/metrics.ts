import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';

/**
 * Every Visage metric, created once per process in prom-client's default registry. In embedded mode the apps
 * share it, so each app's `/metrics` serves all of them (the `app` label tells HTTP traffic apart). Labels never
 * carry image paths or names: only route templates, statuses and reasons.
 */
export const metricsRegistry: Registry = register;

collectDefaultMetrics({ register: metricsRegistry });

/** Request and latency buckets (seconds): a fast API answer up to a slow recognition under load. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const IMAGE_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900];
const STAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];

/** What the recognizer's worker pool tells the scrape (read at scrape time, so the pool does no metric work). */
export interface WorkerPoolGauges {
  readonly queued: number;
  readonly running: number;
  readonly size: number;
  /** Worker milliseconds spent on analyses since start (grows monotonically). */
  readonly busyMs: number;
}

const pools = new Set<WorkerPoolGauges>();
let lastScrape = { at: performance.now(), busyMs: 0 };

function sumOverPools(read: (pool: WorkerPoolGauges) => number): number {
  let total = 0;
  for (const pool of pools) total += read(pool);
  return total;
}

function busyRatioSinceLastScrape(): number {
  const now = { at: performance.now(), busyMs: sumOverPools((pool) => pool.busyMs) };
  const capacityMs = (now.at - lastScrape.at) * sumOverPools((pool) => pool.size);
  const ratio = capacityMs > 0 ? (now.busyMs - lastScrape.busyMs) / capacityMs : 0;
  lastScrape = now;
  return Math.min(1, Math.max(0, ratio));
}

/** Reports a worker pool's queue, in-flight and busy time on `/metrics` until the returned function is called. */
export function trackWorkerPool(pool: WorkerPoolGauges): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}

export const BREAKER_STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;

export const metrics = {
  httpRequests: new Counter({
    name: 'visage_http_requests_total',
    help: 'HTTP requests answered, by app, route template, method and status code',
    labelNames: ['app', 'route', 'method', 'status'] as const,
  }),
  httpDuration: new Histogram({
    name: 'visage_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by app, route template and method',
    labelNames: ['app', 'route', 'method'] as const,
    buckets: HTTP_BUCKETS,
  }),
  imagesSubmitted: new Counter({ name: 'visage_images_submitted_total', help: 'Images accepted for processing (new rows)' }),
  imageOutcomes: new Counter({
    name: 'visage_image_outcomes_total',
    help: 'Images that reached a status after processing: processed, unrecognized or failed',
    labelNames: ['status'] as const,
  }),
  imageLatency: new Histogram({
    name: 'visage_image_latency_seconds',
    help: 'Seconds from submission to a final status (processed, unrecognized, failed for good)',
    buckets: IMAGE_BUCKETS,
  }),
  imageAttempts: new Counter({
    name: 'visage_image_attempts_total',
    help: 'Processing attempts by result (processed, unrecognized, failed_permanent, failed_transient, deferred, skipped)',
    labelNames: ['result'] as const,
  }),
  breakerState: new Gauge({ name: 'visage_breaker_state', help: 'Recognizer circuit: 0 closed, 1 half-open, 2 open' }),
  breakerTransitions: new Counter({
    name: 'visage_breaker_transitions_total',
    help: 'Recognizer circuit state changes, by the state entered',
    labelNames: ['to'] as const,
  }),
  queueInFlight: new Gauge({ name: 'visage_queue_in_flight', help: 'Queue messages being handled by this process' }),
  queueRequeues: new Counter({ name: 'visage_queue_requeues_total', help: 'Queue messages requeued after a failed attempt' }),
  queueDeadLetters: new Counter({ name: 'visage_queue_dead_letters_total', help: 'Queue messages given up after their last attempt' }),
  retryJobRequeued: new Counter({
    name: 'visage_retry_job_requeued_total',
    help: 'Images the retry job published again, by reason',
    labelNames: ['reason'] as const,
  }),
  outcomeEventsPublished: new Counter({
    name: 'visage_outcome_events_published_total',
    help: 'Outcome events the relay put on the image.outcomes topic',
  }),
  outcomeEventsUnpublished: new Gauge({
    name: 'visage_outcome_events_unpublished',
    help: 'Outcome events written but not yet on the queue (as of the last relay run)',
  }),
  webhookDeliveries: new Counter({
    name: 'visage_webhook_deliveries_total',
    help: 'Webhook POSTs of outcome events, by endpoint host and result (delivered, failed, abandoned after the last attempt)',
    labelNames: ['endpoint', 'result'] as const,
  }),
  webhookEndpointUp: new Gauge({
    name: 'visage_webhook_endpoint_up',
    help: 'Whether the last webhook POST to the endpoint host succeeded (1) or failed (0)',
    labelNames: ['endpoint'] as const,
  }),
  descriptorsToRedescribe: new Gauge({
    name: 'visage_descriptors_to_redescribe',
    help: 'Stored descriptors of another recipe than FACE_DESCRIPTOR_RECIPE (as of the last read), by kind (faces, enrolments) and state (waiting, failed)',
    labelNames: ['kind', 'state'] as const,
  }),
  galleryDescriptors: new Gauge({ name: 'visage_gallery_descriptors', help: 'Known-face descriptors in the matcher gallery' }),
  galleryVersion: new Gauge({ name: 'visage_gallery_version', help: 'Gallery version the matcher holds (bumped by every enrolment change)' }),
  recognizerQueueDepth: new Gauge({
    name: 'visage_recognizer_queue_depth',
    help: 'Analyses waiting for a recognizer worker',
    collect() {
      this.set(sumOverPools((pool) => pool.queued));
    },
  }),
  recognizerInFlight: new Gauge({
    name: 'visage_recognizer_in_flight',
    help: 'Analyses running on recognizer workers',
    collect() {
      this.set(sumOverPools((pool) => pool.running));
    },
  }),
  recognizerStageSeconds: new Histogram({
    name: 'visage_recognizer_stage_seconds',
    help: 'Seconds a recognizer worker spent per stage of one analysis',
    labelNames: ['stage'] as const,
    buckets: STAGE_BUCKETS,
  }),
  recognizerBusyRatio: new Gauge({
    name: 'visage_recognizer_worker_busy_ratio',
    help: 'Share of worker time spent analyzing since the previous scrape (0..1)',
    collect() {
      this.set(busyRatioSinceLastScrape());
    },
  }),
};

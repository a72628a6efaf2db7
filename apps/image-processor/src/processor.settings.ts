import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { VisageConfig } from '@visage/config';
import { DescriptorRecipe, FaceQualityRule } from '@visage/domain';
import { qualityRuleOf } from '@visage/matcher';
import { BreakerSettings } from './breaker/recognizer-breaker';
import type { ProcessingLimits } from '@visage/persistence';
import { consumerOptionsFromConfig, type RetryPolicy } from '@visage/queue';

/** Everything the processor reads from the configuration, derived once. */
export interface ProcessorSettings {
  /** Names this replica in claims (`claimed_by`) and logs; unique per process. */
  instanceId: string;
  topic: string;
  policy: ProcessingLimits;
  /** gRPC deadline of one analysis (FACE_RECOGNITION_DEADLINE_MS). */
  analysisDeadlineMs: number;
  /** Backoff of automatic retries, the transport's own (QUEUE_REQUEUE_*): a failed attempt's next one is due after it. */
  retryBackoff: RetryPolicy;
  /** How often a consumer renews the lease of the image it works on: a third of the lease (CLAIM_TIMEOUT_MS). */
  leaseRenewMs: number;
  /**
   * False for the in-process queue: its messages live in this process's memory, so after a start every
   * `pending` or `retrying` image has lost its message and is published again at once.
   */
  queueKeepsMessages: boolean;
  breaker: BreakerSettings;
  retryCron: string;
  /** How often the re-match job looks for faces matched against an older gallery (GALLERY_REFRESH_MS). */
  rematchEveryMs: number;
  /** Mean distance to a group's members within which an unknown face joins it (CLUSTER_THRESHOLD). */
  clusterThreshold: number;
  /** How often the known-faces folder is checked for changes (KNOWN_FACES_RESCAN_MS; 0: only at start). */
  knownFacesRescanMs: number;
  /** QUALITY_*: a face past these limits is stored as low quality, never named. */
  quality: FaceQualityRule;
  /** FACE_DESCRIPTOR_RECIPE: the only recipe matched, grouped and stored by new processing. */
  descriptorRecipe: DescriptorRecipe;
}

export const PROCESSOR_SETTINGS = Symbol('PROCESSOR_SETTINGS');

/** Longest health probe: a probe is a ping, it should never wait as long as an analysis. */
const MAX_PROBE_DEADLINE_MS = 5_000;

export function processorSettingsFrom(config: VisageConfig, instanceId?: string): ProcessorSettings {
  return {
    // hostname + pid + random: unique even for two processors in one process (tests, embedded mode).
    instanceId: (instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`).slice(0, 48),
    topic: config.QUEUE_TOPIC,
    policy: {
      maxAttempts: config.MAX_ATTEMPTS,
      claimTimeoutMs: config.CLAIM_TIMEOUT_MS,
      pendingStaleMs: config.PENDING_STALE_MS,
    },
    analysisDeadlineMs: config.FACE_RECOGNITION_DEADLINE_MS,
    // The consumer's own retry policy, so a stored nextAttemptAt matches the transport's redelivery.
    retryBackoff: requeuePolicyOf(consumerOptionsFromConfig(config)),
    leaseRenewMs: Math.floor(config.CLAIM_TIMEOUT_MS / 3),
    queueKeepsMessages: config.queue.driver !== 'in-process',
    breaker: {
      failureThreshold: config.BREAKER_FAILURE_THRESHOLD,
      probeInitialMs: config.BREAKER_PROBE_INITIAL_MS,
      probeMaxMs: config.BREAKER_PROBE_MAX_MS,
      probeDeadlineMs: Math.min(config.FACE_RECOGNITION_DEADLINE_MS, MAX_PROBE_DEADLINE_MS),
    },
    retryCron: config.RETRY_CRON,
    rematchEveryMs: config.GALLERY_REFRESH_MS,
    clusterThreshold: config.CLUSTER_THRESHOLD,
    knownFacesRescanMs: config.KNOWN_FACES_RESCAN_MS,
    quality: qualityRuleOf(config),
    descriptorRecipe: config.FACE_DESCRIPTOR_RECIPE,
  };
}

function requeuePolicyOf({ maxAttempts, requeueBaseDelayMs, requeueMaxDelayMs }: RetryPolicy): RetryPolicy {
  return { maxAttempts, requeueBaseDelayMs, requeueMaxDelayMs };
}

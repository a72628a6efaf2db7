import { cappedBackoffMs, describeError } from '@visage/domain';
import { DeferMessageError, QueueConsumerOptions, RetryMessageError } from '../queue.types';

export type RetryPolicy = Pick<QueueConsumerOptions, 'maxAttempts' | 'requeueBaseDelayMs' | 'requeueMaxDelayMs'>;

/** What the transport does with a message once its handler has settled. */
export type DeliveryOutcome =
  | { action: 'finish' }
  | { action: 'requeue'; delayMs: number; error: string }
  | { action: 'defer'; delayMs: number; reason: string }
  | { action: 'dead-letter'; error: string };

export type HandlerResult = { ok: true } | { ok: false; error: unknown };

/** Delay before the next delivery after the n-th counted failure: min(base * 2^(n-1), max). */
export function requeueDelayMs(attempts: number, policy: RetryPolicy): number {
  return cappedBackoffMs(attempts, policy.requeueBaseDelayMs, policy.requeueMaxDelayMs);
}

export function asDeferral(error: unknown): DeferMessageError | undefined {
  return error instanceof DeferMessageError ? error : undefined;
}

/**
 * The single place deciding a message's fate, used by every driver so NSQ and in-process behave alike.
 * `attempts` is the counted attempt of this delivery (1 on the first; deferrals are not counted).
 */
export function decideOutcome(result: HandlerResult, attempts: number, policy: RetryPolicy): DeliveryOutcome {
  if (result.ok) return { action: 'finish' };
  const deferral = asDeferral(result.error);
  if (deferral) return { action: 'defer', delayMs: Math.max(0, deferral.delayMs), reason: deferral.message };
  const error = describeError(result.error);
  if (attempts >= policy.maxAttempts) return { action: 'dead-letter', error };
  const delayMs = result.error instanceof RetryMessageError ? Math.max(0, result.error.delayMs) : requeueDelayMs(attempts, policy);
  return { action: 'requeue', delayMs, error };
}

/** A delivery already past maxAttempts (e.g. redelivered after timeouts) goes to the dead letter unrun. */
export function exceededAttempts(attempts: number, policy: RetryPolicy): boolean {
  return attempts > policy.maxAttempts;
}

import { BaseRpcContext, RpcException } from '@nestjs/microservices';

/** Behaviour shared by every queue driver (NSQ and in-process), so embedded mode is as safe as NSQ. */
export interface QueueConsumerOptions {
  topic: string;
  channel: string;
  maxInFlight: number;
  /** Deliveries after which a failing message goes to the dead-letter handler instead of being requeued. */
  maxAttempts: number;
  /** How long a handler may run before the broker redelivers; handlers are TOUCHed before this. */
  messageTimeoutMs: number;
  /** Requeue delay after the n-th failed delivery: min(base * 2^(n-1), max). */
  requeueBaseDelayMs: number;
  requeueMaxDelayMs: number;
}

export interface QueueMessageInfo {
  id: string;
  topic: string;
  channel: string;
  /** 1 on the first delivery; deferrals ({@link DeferMessageError}) do not add to it. */
  attempts: number;
  timestamp: number;
}

/** Second argument of every `@EventPattern` handler driven by a Visage queue transport. */
export class QueueContext extends BaseRpcContext<[QueueMessageInfo, () => void]> {
  get message(): QueueMessageInfo {
    return this.args[0];
  }

  /** Tells the broker the handler is still working (NSQ TOUCH); the transports also do it on a timer. */
  touch(): void {
    this.args[1]();
  }
}

/** A handler's request to see the message again after `delayMs`. */
abstract class RedeliverAfterError extends RpcException {
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
    this.name = new.target.name;
  }

  /**
   * Nest's default RPC exception filter replaces unknown errors with "Internal server error" but passes the
   * object returned here through unchanged, so the transport still recognises the request and its delay.
   */
  override getError(): object {
    return this;
  }
}

/**
 * Thrown by a handler that cannot work now for a reason that is not the message's fault (circuit open):
 * the message is redelivered after `delayMs` and the attempt is not counted toward maxAttempts.
 */
export class DeferMessageError extends RedeliverAfterError {
  constructor(delayMs: number, reason = 'deferred') {
    super(delayMs, reason);
  }
}

/**
 * Thrown by a handler that failed and wants the next delivery after `delayMs` (its own backoff, e.g. the one it
 * stored for the user to see) instead of the transport's: the attempt counts, and at maxAttempts the message goes
 * to the dead letter as with any other error.
 */
export class RetryMessageError extends RedeliverAfterError {
  constructor(delayMs: number, reason = 'retry later') {
    super(delayMs, reason);
  }
}

/**
 * Registered with `@EventPattern(deadLetterPattern(topic))`: receives the payload of a message that
 * failed maxAttempts times, with the last error, instead of it looping forever.
 */
export interface DeadLetter<T = unknown> {
  data: T;
  error: string;
  attempts: number;
}

export function deadLetterPattern(topic: string): string {
  return `${topic}.dead-letter`;
}

/** A consumer-side server strategy can stop pulling messages (RDY 0) and start again. */
export interface PausableConsumer {
  pause(): void;
  resume(): void;
  isConnected(): boolean;
}

export const QUEUE_CLIENT = Symbol('QUEUE_CLIENT');

/** The consumer strategy (NSQ or in-process) built from the config: `app.connectMicroservice({ strategy })`. */
export const QUEUE_CONSUMER = Symbol('QUEUE_CONSUMER');

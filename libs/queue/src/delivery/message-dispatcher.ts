import { LoggerService } from '@nestjs/common';
import { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom, Observable } from 'rxjs';
import { DeadLetter, deadLetterPattern, QueueConsumerOptions, QueueContext, QueueMessageInfo } from '../queue.types';
import { describeError } from '@visage/domain';
import { metrics } from '@visage/observability';
import { decideOutcome, DeliveryOutcome, exceededAttempts, HandlerResult } from './delivery-policy';
import { DecodedBody } from './message-codec';

/**
 * One delivery as a driver sees it. The dispatcher calls exactly one of finish/requeue/defer (it guards against a
 * second response itself), and touch any number of times before that.
 */
export interface Delivery {
  /** `attempts` is already the counted attempt (deferrals excluded). */
  readonly info: QueueMessageInfo;
  readonly body: DecodedBody;
  /** The broker's redelivery timeout for this delivery (NSQ: msg_timeout negotiated in IDENTIFY); 0 = none. */
  readonly timeoutMs: number;
  finish(): void;
  /** Redeliver after delayMs; the next delivery counts as a new attempt. */
  requeue(delayMs: number): void;
  /** Redeliver after delayMs without counting an attempt. */
  defer(delayMs: number): Promise<void>;
  touch(): void;
}

export interface DispatchHost {
  readonly options: QueueConsumerOptions;
  readonly logger: LoggerService;
  /** Fraction of the redelivery timeout after which a running handler's message is TOUCHed (and then again). */
  readonly touchFraction: number;
  handlerFor(pattern: string): MessageHandler | null;
}

/** A handled message: settle() resolves once the handler has run and the broker has been answered. */
export interface RunningDelivery {
  readonly delivery: Delivery;
  /** Answers the broker now with a plain requeue (graceful close gave up waiting); later answers are ignored. */
  abandon(): void;
  readonly settled: Promise<DeliveryOutcome | undefined>;
}

/** Calls a Nest-wrapped handler and waits for it, whether it returns a value, a promise or an observable. */
async function invoke(handler: MessageHandler, data: unknown, context: QueueContext): Promise<HandlerResult> {
  try {
    const result: unknown = await handler(data, context);
    if (isObservable(result)) await lastValueFrom(result as Observable<unknown>, { defaultValue: undefined });
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Wraps a delivery so that only the first answer reaches the broker. */
function answerOnce(delivery: Delivery) {
  let answered = false;
  const claim = () => {
    if (answered) return false;
    answered = true;
    return true;
  };
  return {
    get answered() {
      return answered;
    },
    finish: () => claim() && delivery.finish(),
    requeue: (delayMs: number) => claim() && delivery.requeue(delayMs),
    defer: async (delayMs: number) => {
      if (claim()) await delivery.defer(delayMs);
    },
  };
}

/**
 * Runs the handler for one delivery and applies the shared outcome rules. Both drivers call this; the only
 * driver-specific parts are the four broker operations on {@link Delivery}.
 */
export function dispatch(host: DispatchHost, delivery: Delivery): RunningDelivery {
  const answer = answerOnce(delivery);
  const settled = run(host, delivery, answer);
  return {
    delivery,
    settled,
    abandon: () => answer.requeue(0),
  };
}

async function run(host: DispatchHost, delivery: Delivery, answer: ReturnType<typeof answerOnce>): Promise<DeliveryOutcome | undefined> {
  const { options, logger } = host;
  const { info, body } = delivery;
  if (!body.ok) {
    // Redelivering a body nobody can read would loop forever.
    logger.warn?.(`${info.topic}: finishing undecodable message ${info.id} (${body.reason}): ${body.preview}`);
    answer.finish();
    return { action: 'finish' };
  }
  if (exceededAttempts(info.attempts, options)) {
    const outcome: DeliveryOutcome = {
      action: 'dead-letter',
      error: `no outcome after ${options.maxAttempts} attempts (the handler timed out or its consumer stopped)`,
    };
    await deadLetter(host, delivery, answer, body.data, outcome.error);
    return outcome;
  }
  const handler = host.handlerFor(info.topic);
  if (!handler) {
    logger.error(`${info.topic}: no @EventPattern('${info.topic}') handler; requeueing message ${info.id}`);
    answer.requeue(options.requeueMaxDelayMs);
    return undefined;
  }

  const context = new QueueContext([info, () => delivery.touch()]);
  const touchTimer =
    delivery.timeoutMs > 0
      ? setInterval(
          () => {
            if (!answer.answered) delivery.touch();
          },
          Math.max(1, Math.floor(delivery.timeoutMs * host.touchFraction)),
        )
      : undefined;
  let result: HandlerResult;
  try {
    result = await invoke(handler, body.data, context);
  } finally {
    clearInterval(touchTimer);
  }

  const outcome = decideOutcome(result, info.attempts, options);
  switch (outcome.action) {
    case 'finish':
      answer.finish();
      break;
    case 'requeue':
      logger.warn?.(
        `${info.topic}: message ${info.id} failed attempt ${info.attempts}/${options.maxAttempts} (${outcome.error}); retrying in ${outcome.delayMs} ms`,
      );
      metrics.queueRequeues.inc();
      answer.requeue(outcome.delayMs);
      break;
    case 'defer':
      logger.debug?.(`${info.topic}: message ${info.id} deferred ${outcome.delayMs} ms (${outcome.reason}); attempt not counted`);
      try {
        await answer.defer(outcome.delayMs);
      } catch (error) {
        logger.error(`${info.topic}: could not defer message ${info.id}: ${describeError(error)}`);
      }
      break;
    case 'dead-letter':
      await deadLetter(host, delivery, answer, body.data, outcome.error);
      break;
  }
  return outcome;
}

async function deadLetter(
  host: DispatchHost,
  delivery: Delivery,
  answer: ReturnType<typeof answerOnce>,
  data: unknown,
  error: string,
): Promise<void> {
  const { info } = delivery;
  const pattern = deadLetterPattern(info.topic);
  const handler = host.handlerFor(pattern);
  metrics.queueDeadLetters.inc();
  host.logger.error(`${info.topic}: message ${info.id} dead-lettered after ${info.attempts} attempts: ${error}`);
  if (!handler) {
    host.logger.error(`${info.topic}: no @EventPattern('${pattern}') handler; message ${info.id} dropped`);
    answer.finish();
    return;
  }
  const letter: DeadLetter = { data, error, attempts: info.attempts };
  const result = await invoke(handler, letter, new QueueContext([info, () => delivery.touch()]));
  if (result.ok) {
    answer.finish();
    return;
  }
  // The dead-letter handler could not record the failure (database down?): keep the message; the next delivery
  // is past maxAttempts again and comes straight back here.
  host.logger.error(`${pattern}: handler failed for message ${info.id} (${describeError(result.error)}); requeueing`);
  answer.requeue(host.options.requeueMaxDelayMs);
}

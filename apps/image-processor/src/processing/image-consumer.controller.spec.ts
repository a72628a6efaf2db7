import { describe, expect, it } from 'vitest';
import { DeferMessageError, RetryMessageError } from '@visage/queue';
import { ProcessorError } from '../processor-error';
import { settleDelivery } from './image-consumer.controller';

describe('settleDelivery (outcome → transport)', () => {
  it('finishes the message for final outcomes and for duplicates', () => {
    expect(() => settleDelivery({ status: 'processed', imageId: 1, faces: 1, personIds: [3] })).not.toThrow();
    expect(() => settleDelivery({ status: 'unrecognized', imageId: 1, faces: 0 })).not.toThrow();
    expect(() => settleDelivery({ status: 'failed_permanent', imageId: 1, error: 'INVALID_ARGUMENT' })).not.toThrow();
    expect(() => settleDelivery({ status: 'skipped', imageId: 1, reason: 'already_done' })).not.toThrow();
  });

  it('requeues a transient failure with attempts left (after the stored backoff when there is one), and finishes one without', () => {
    let thrown: unknown;
    try {
      settleDelivery({ status: 'failed_transient', imageId: 1, error: 'database: down', willRetry: true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProcessorError);
    expect((thrown as ProcessorError).code).toBe('retry_later');
    thrown = undefined;
    try {
      settleDelivery({ status: 'failed_transient', imageId: 1, error: 'UNAVAILABLE', willRetry: true, retryInMs: 8_000 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RetryMessageError);
    expect((thrown as RetryMessageError).delayMs).toBe(8_000);
    expect(() => settleDelivery({ status: 'failed_transient', imageId: 1, error: 'UNAVAILABLE', willRetry: false })).not.toThrow();
  });

  it('defers with the breaker’s delay or until a live lease would expire, so the attempt is not counted', () => {
    for (const reason of ['circuit_open', 'leased'] as const) {
      let thrown: unknown;
      try {
        settleDelivery({ status: 'deferred', imageId: 7, retryInMs: 12_345, reason });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DeferMessageError);
      expect((thrown as DeferMessageError).delayMs).toBe(12_345);
    }
  });
});

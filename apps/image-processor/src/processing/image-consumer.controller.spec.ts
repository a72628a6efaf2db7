import { describe, expect, it } from 'vitest';
import { DeferMessageError } from '@visage/queue';
import { RetryLaterError, settleDelivery } from './image-consumer.controller';

describe('settleDelivery (outcome → transport)', () => {
  it('finishes the message for final outcomes and for duplicates', () => {
    expect(() => settleDelivery({ status: 'processed', imageId: 1, faces: 1, personIds: [3] })).not.toThrow();
    expect(() => settleDelivery({ status: 'unrecognized', imageId: 1, faces: 0 })).not.toThrow();
    expect(() => settleDelivery({ status: 'failed_permanent', imageId: 1, error: 'INVALID_ARGUMENT' })).not.toThrow();
    expect(() => settleDelivery({ status: 'skipped', imageId: 1, reason: 'already_done' })).not.toThrow();
  });

  it('requeues a transient failure with attempts left, and finishes one without', () => {
    expect(() => settleDelivery({ status: 'failed_transient', imageId: 1, error: 'UNAVAILABLE', willRetry: true })).toThrow(RetryLaterError);
    expect(() => settleDelivery({ status: 'failed_transient', imageId: 1, error: 'UNAVAILABLE', willRetry: false })).not.toThrow();
  });

  it('defers with the breaker’s delay, so the attempt is not counted', () => {
    let thrown: unknown;
    try {
      settleDelivery({ status: 'deferred', imageId: 7, retryInMs: 12_345, because: 'circuit_open' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DeferMessageError);
    expect((thrown as DeferMessageError).delayMs).toBe(12_345);
  });
});

import { describe, expect, it } from 'vitest';
import { DeferMessageError, RetryMessageError } from '../queue.types';
import { describeError } from '@visage/domain';
import { decideOutcome, exceededAttempts, requeueDelayMs } from './delivery-policy';
import { decodeBody, encodeEnvelope } from './message-codec';

const policy = { maxAttempts: 3, requeueBaseDelayMs: 1_000, requeueMaxDelayMs: 5_000 };

describe('delivery policy (shared by both drivers)', () => {
  it('doubles the requeue delay per counted attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 60].map((attempts) => requeueDelayMs(attempts, policy))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it('finishes on success, requeues failures until maxAttempts, then dead-letters', () => {
    expect(decideOutcome({ ok: true }, 3, policy)).toEqual({ action: 'finish' });
    expect(decideOutcome({ ok: false, error: new Error('x') }, 2, policy)).toEqual({ action: 'requeue', delayMs: 2_000, error: 'x' });
    expect(decideOutcome({ ok: false, error: new Error('x') }, 3, policy)).toEqual({ action: 'dead-letter', error: 'x' });
    expect(exceededAttempts(3, policy)).toBe(false);
    expect(exceededAttempts(4, policy)).toBe(true);
  });

  it('requeues a RetryMessageError after the delay the handler chose, counted: dead-lettered at maxAttempts', () => {
    const retry = new RetryMessageError(12_345, 'recognizer timed out');
    expect(decideOutcome({ ok: false, error: retry }, 1, policy)).toEqual({ action: 'requeue', delayMs: 12_345, error: 'recognizer timed out' });
    expect(decideOutcome({ ok: false, error: retry }, 3, policy)).toEqual({ action: 'dead-letter', error: 'recognizer timed out' });
  });

  it('defers a DeferMessageError at any attempt count, never dead-letters it', () => {
    expect(decideOutcome({ ok: false, error: new DeferMessageError(750, 'circuit open') }, 99, policy)).toEqual({
      action: 'defer',
      delayMs: 750,
      reason: 'circuit open',
    });
  });

  it("describes errors thrown as Errors, Nest's {status, message} objects and strings", () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError({ status: 'error', message: 'Internal server error' })).toBe('Internal server error');
    expect(describeError('plain')).toBe('plain');
    expect(describeError({ code: 7 })).toBe('{"code":7}');
  });
});

describe('message bodies', () => {
  it('decodes JSON, bare ids and words, and deferral envelopes; refuses the rest', () => {
    expect(decodeBody('{"imageId":42}')).toEqual({ ok: true, data: { imageId: 42 } });
    expect(decodeBody(Buffer.from('42'))).toEqual({ ok: true, data: 42 });
    expect(decodeBody('img-7')).toEqual({ ok: true, data: 'img-7' });
    const header = { id: 'abc', priorAttempts: 2, timestamp: 1, deferrals: 3 };
    expect(decodeBody(encodeEnvelope(header, { imageId: 1 }))).toEqual({ ok: true, data: { imageId: 1 }, envelope: header });
    expect(decodeBody('{"imageId": 4')).toMatchObject({ ok: false, reason: 'body is not JSON' });
    expect(decodeBody('   ')).toMatchObject({ ok: false, reason: 'empty body' });
    expect(decodeBody('{"__visageQueueEnvelope":{"id":1},"data":1}')).toMatchObject({ ok: false, reason: 'malformed deferral envelope' });
  });
});

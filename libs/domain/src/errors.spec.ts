import { describe, expect, it } from 'vitest';
import { CodedError, describeError } from './errors';
import { cappedBackoffMs, TimeoutError, withTimeout } from './timeout';

describe('describeError', () => {
  it('reads errors, strings, HTTP error bodies and serialised RPC errors', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('plain')).toBe('plain');
    expect(describeError({ getResponse: () => ({ message: ['a is bad', 'b is bad'] }), message: 'Bad Request' })).toBe('a is bad; b is bad');
    expect(describeError({ getResponse: () => 'as text' })).toBe('as text');
    expect(describeError({ status: 'error', message: 'from rpc' })).toBe('from rpc');
    expect(describeError({ code: 7 })).toBe('{"code":7}');
  });
});

describe('CodedError', () => {
  it('carries its code and its subclass name, and reads like any error', async () => {
    class ShelfError extends CodedError<'shelf_full' | 'shelf_missing'> {}
    const error = new ShelfError('shelf_full', 'no room on the shelf');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'shelf_full', name: 'ShelfError', message: 'no room on the shelf' });
    expect(describeError(error)).toBe('no room on the shelf');
    await expect(withTimeout(new Promise(() => undefined), 1)).rejects.toMatchObject({ code: 'timeout', name: 'TimeoutError' });
  });
});

describe('withTimeout', () => {
  it('passes the answer through, or fails with a TimeoutError when there is none', async () => {
    await expect(withTimeout(Promise.resolve(42), 1_000)).resolves.toBe(42);
    await expect(withTimeout(new Promise(() => undefined), 1)).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe('cappedBackoffMs', () => {
  it('doubles the base per failure from the first on, never beyond the cap, even after very many failures', () => {
    expect([1, 2, 3, 4, 5].map((failures) => cappedBackoffMs(failures, 250, 2_000))).toEqual([250, 500, 1_000, 2_000, 2_000]);
    expect(cappedBackoffMs(0, 250, 2_000)).toBe(250);
    expect(cappedBackoffMs(10_000, 250, 2_000)).toBe(2_000);
  });
});

import { describe, expect, it } from 'vitest';
import { EtagCache, ifNoneMatchHas } from './etag-cache';

const entry = (bytes: number) => ({ body: Buffer.alloc(bytes) });

describe('EtagCache', () => {
  it('drops the least recently used entries once past its bytes, and keeps no entry above its entry limit', () => {
    const cache = new EtagCache<{ body: Buffer }>(30, 15);
    cache.remember('"a"', entry(10));
    cache.remember('"b"', entry(10));
    expect(cache.get('"a"')).toBeDefined(); // a is now the most recently used
    cache.remember('"c"', entry(10));
    cache.remember('"d"', entry(10)); // 40 bytes: b goes first
    expect(cache.get('"b"')).toBeUndefined();
    expect(['"a"', '"c"', '"d"'].map((etag) => cache.get(etag) !== undefined)).toEqual([true, true, true]);
    cache.remember('"big"', entry(16));
    expect(cache.get('"big"')).toBeUndefined();
  });
});

describe('ifNoneMatchHas', () => {
  it('finds the ETag strong or weak in a list, and nothing without a header', () => {
    expect(ifNoneMatchHas('"x", W/"abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchHas('"abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchHas('"abd"', '"abc"')).toBe(false);
    expect(ifNoneMatchHas(undefined, '"abc"')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { decodeIdCursor, encodeIdCursor, idCursorAfter } from './keyset-cursor';

describe('id cursor', () => {
  it('round-trips and refuses anything it did not produce', () => {
    expect(decodeIdCursor(encodeIdCursor({ beforeId: 42 }))).toEqual({ beforeId: 42 });
    for (const bad of [
      '',
      '42',
      'djE6',
      Buffer.from('v1:0').toString('base64url'),
      Buffer.from('v1:-3').toString('base64url'),
      'a b',
      Buffer.from('v2:5').toString('base64url'),
    ]) {
      expect(decodeIdCursor(bad), bad).toBeUndefined();
    }
  });

  it('keeps the format GET /images has always returned, so cursors handed out before still read', () => {
    expect(encodeIdCursor({ beforeId: 9 })).toBe(Buffer.from('v1:9').toString('base64url'));
  });

  it('continues after the last row shown', () => {
    expect(decodeIdCursor(idCursorAfter({ id: 17 }))).toEqual({ beforeId: 17 });
  });
});

import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { parseId } from './positive-id.pipe';

describe('route ids', () => {
  it('accepts positive 32-bit integers only', () => {
    expect(parseId('1')).toBe(1);
    expect(parseId('2147483647')).toBe(2147483647);
    for (const bad of ['0', '-1', '01', '1.0', '1e3', ' 1', '2147483648', '', undefined]) {
      let refusal: unknown;
      try {
        parseId(bad);
      } catch (error) {
        refusal = error;
      }
      expect(refusal instanceof HttpException && refusal.getResponse(), String(bad)).toMatchObject({ statusCode: 400, code: 'invalid_id' });
    }
  });
});

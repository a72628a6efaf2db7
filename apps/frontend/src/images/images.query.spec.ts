import { describe, expect, it } from 'vitest';
import { validate } from '@visage/validation';
import { imageChangesQuery, imagesPageQuery, MAX_SEARCH_LENGTH } from './images.query';

const problem = (result: ReturnType<typeof validate>) => (result.ok ? undefined : result.problem.code);

describe('dashboard image list query', () => {
  it('reads the filter and one direction of paging; blank values are absent', () => {
    expect(validate(imagesPageQuery, { status: 'failed', q: '  beach ', person: '3', older: '40' }, 'query')).toEqual({
      ok: true,
      value: { status: 'failed', search: 'beach', personId: 3, older: 40, newer: undefined },
    });
    expect(validate(imagesPageQuery, { q: '   ', status: '' }, 'query')).toMatchObject({ ok: true, value: { search: undefined, status: undefined } });
  });

  it.each([
    [{ status: 'bogus' }, 'invalid_status'],
    [{ status: ['failed', 'pending'] }, 'invalid_status'],
    [{ person: 'alice' }, 'invalid_person'],
    [{ person: '9999999999' }, 'invalid_person'],
    [{ older: 'abc' }, 'invalid_older'],
    [{ older: '5', newer: '9' }, 'ambiguous_page'],
    [{ q: 'x'.repeat(MAX_SEARCH_LENGTH + 1) }, 'invalid_q'],
  ])('refuses %j with %s', (query, code) => {
    expect(problem(validate(imagesPageQuery, query, 'query'))).toBe(code);
  });

  it('the live feed needs an ISO 8601 time', () => {
    const since = '2024-01-31T12:00:00.000Z';
    expect(validate(imageChangesQuery, { since, person: '2' }, 'query')).toEqual({
      ok: true,
      value: { since: new Date(since), filter: { personId: 2 } },
    });
    for (const bad of [{}, { since: 'yesterday' }, { since: '2024-13-45T00:00:00Z' }])
      expect(problem(validate(imageChangesQuery, bad, 'query'))).toBe('invalid_since');
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_ID } from '@visage/domain';
import { encodeImageCursor } from '@visage/persistence';
import { DEFAULT_PAGE_SIZE, validate } from '@visage/validation';
import { assignBody, nameClusterBody } from '../src/faces/dto/face.dto';
import { mergeBody } from '../src/persons/dto/person.dto';
import { listImagesQuery } from '../src/images/dto/list-images.dto';
import { imagePathBody } from '../src/images/dto/post-image.dto';
import { postImagesBody } from '../src/images/dto/post-images.dto';
import { createKeyBody } from '../src/keys/dto/key.dto';

/** The code of the refusal, or fails the test when the value passes. */
function codeOf(schema: z.ZodType, value: unknown, source: 'body' | 'query' = 'body'): string {
  const result = validate(schema, value, source);
  if (result.ok) throw new Error(`expected a refusal of ${JSON.stringify(value)}`);
  return result.problem.code;
}

describe('POST /image/post body', () => {
  it('takes a trimmed path and refuses a missing body or one that is not an object', () => {
    expect(validate(imagePathBody, { path: ' a.jpg' }, 'body')).toEqual({ ok: true, value: { path: 'a.jpg' } });
    expect(codeOf(imagePathBody, {})).toBe('path_required');
    expect(codeOf(imagePathBody, { path: 5 })).toBe('path_not_string');
    expect(codeOf(imagePathBody, undefined)).toBe('body_required');
    for (const body of [[], 'a.jpg', 3, true]) expect(codeOf(imagePathBody, body), JSON.stringify(body)).toBe('body_not_object');
  });
});

describe('POST /images/post body', () => {
  it('refuses a bad envelope as a whole', () => {
    expect(codeOf(postImagesBody, {})).toBe('paths_required');
    expect(codeOf(postImagesBody, { paths: {} })).toBe('paths_not_array');
    expect(codeOf(postImagesBody, { paths: [] })).toBe('paths_empty');
    expect(validate(postImagesBody, { paths: Array.from({ length: 1001 }, () => ({ path: 'a' })) }, 'body')).toEqual({
      ok: false,
      problem: { code: 'paths_too_many', message: 'paths may hold at most 1000 items, not 1001' },
    });
  });

  it('judges each item on its own: a bad one is answered, the others go on', () => {
    const result = validate(postImagesBody, { paths: [{ path: 'a' }, 'b', null, { path: 5 }, { path: '' }] }, 'body');
    expect(result.ok && result.value.paths.map((item) => ('rejected' in item ? item.rejected.code : item.path))).toEqual([
      'a',
      'item_not_object',
      'item_not_object',
      'path_not_string',
      'path_required',
    ]);
  });
});

describe('GET /images query', () => {
  it('defaults, accepts valid values and treats empty parameters as absent', () => {
    expect(validate(listImagesQuery, {}, 'query')).toEqual({ ok: true, value: { limit: DEFAULT_PAGE_SIZE } });
    expect(validate(listImagesQuery, { status: '', limit: '', cursor: '', person: '' }, 'query')).toEqual({
      ok: true,
      value: { limit: DEFAULT_PAGE_SIZE },
    });
    expect(validate(listImagesQuery, { status: 'failed', person: '4', limit: '200', cursor: encodeImageCursor({ beforeId: 9 }) }, 'query')).toEqual({
      ok: true,
      value: { status: 'failed', personId: 4, limit: 200, cursor: { beforeId: 9 } },
    });
  });

  it.each([
    [{ status: 'FAILED' }, 'invalid_status'],
    [{ status: ['failed'] }, 'invalid_status'],
    [{ person: '0' }, 'invalid_person'],
    [{ person: String(MAX_ID + 1) }, 'invalid_person'],
    [{ limit: '0' }, 'invalid_limit'],
    [{ limit: '1e2' }, 'invalid_limit'],
    [{ cursor: 'abc' }, 'invalid_cursor'],
  ])('refuses %j with %s', (query, code) => {
    expect(codeOf(listImagesQuery, query, 'query')).toBe(code);
  });
});

describe('"this is …" body (faces, groups)', () => {
  it('takes exactly one of personId and name; null counts as absent', () => {
    expect(validate(assignBody, { personId: 3 }, 'body')).toEqual({ ok: true, value: { target: { personId: 3 }, confirm: [] } });
    expect(validate(assignBody, { name: ' Ada ', personId: null }, 'body')).toEqual({ ok: true, value: { target: { name: 'Ada' }, confirm: [] } });
    expect(codeOf(assignBody, { personId: 3, name: 'Ada' })).toBe('ambiguous_person');
    expect(codeOf(assignBody, {})).toBe('name_required');
    expect(codeOf(assignBody, { name: '' })).toBe('name_required');
    expect(codeOf(assignBody, { name: 'a\tb' })).toBe('name_invalid');
    for (const personId of [0, 1.5, '3', MAX_ID + 1]) expect(codeOf(assignBody, { personId }), String(personId)).toBe('invalid_person_id');
  });

  it('takes the faces a 409 asked about: confirmed (both), left out (groups); lists of ids, duplicates dropped', () => {
    expect(validate(assignBody, { name: 'Ada', confirm: [4, 4, 5] }, 'body')).toEqual({
      ok: true,
      value: { target: { name: 'Ada' }, confirm: [4, 5] },
    });
    expect(validate(nameClusterBody, { personId: 3, confirm: null, leaveOut: [7] }, 'body')).toEqual({
      ok: true,
      value: { target: { personId: 3 }, confirm: [], leaveOut: [7] },
    });
    for (const confirm of ['all', 4, [0], ['4'], [1.5], new Array(10_001).fill(1)])
      expect(codeOf(assignBody, { name: 'Ada', confirm }), JSON.stringify(confirm).slice(0, 20)).toBe('invalid_confirm');
    expect(codeOf(nameClusterBody, { name: 'Ada', leaveOut: [-1] })).toBe('invalid_leave_out');
  });
});

describe('merge body', () => {
  it('takes the id of the person to keep', () => {
    expect(validate(mergeBody, { into: 3 }, 'body')).toEqual({ ok: true, value: { into: 3 } });
    expect(codeOf(mergeBody, {})).toBe('into_required');
    expect(codeOf(mergeBody, { into: null })).toBe('into_required');
    for (const into of ['3', 0, 2.5]) expect(codeOf(mergeBody, { into }), String(into)).toBe('invalid_into');
  });
});

describe('POST /keys body', () => {
  it('takes a name and a known scope', () => {
    expect(validate(createKeyBody, { name: ' ci ', scope: 'submit' }, 'body')).toEqual({ ok: true, value: { name: 'ci', scope: 'submit' } });
    expect(codeOf(createKeyBody, { name: 'ci', scope: 'root' })).toBe('scope_invalid');
    expect(codeOf(createKeyBody, { name: 'ci' })).toBe('scope_invalid');
    expect(codeOf(createKeyBody, { scope: 'read' })).toBe('name_required');
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_ID } from '@visage/domain';
import { MAX_IMAGE_PATH_LENGTH } from '@visage/storage';
import { DEFAULT_PAGE_SIZE, idParam, imagePath, imageStatusParam, keyName, keysetPageQuery, personName } from './fields';
import { validate } from './problems';

/** The code of the refusal, or fails the test when the value passes. */
function codeOf(schema: z.ZodType, value: unknown, source: 'body' | 'query' = 'body'): string {
  const result = validate(schema, value, source);
  if (result.ok) throw new Error(`expected a refusal of ${JSON.stringify(value)}`);
  return result.problem.code;
}

describe('person and key names', () => {
  const body = z.object({ name: personName });

  it('trims the name and counts characters, not UTF-16 units', () => {
    expect(validate(body, { name: '  Émilie du Châtelet ' }, 'body')).toEqual({ ok: true, value: { name: 'Émilie du Châtelet' } });
    const longest = validate(body, { name: '😀'.repeat(255) }, 'body');
    expect(longest.ok && longest.value.name).toHaveLength(510);
  });

  it('refuses each bad name with its own code and message', () => {
    expect(validate(body, {}, 'body')).toEqual({ ok: false, problem: { code: 'name_required', message: 'name is required' } });
    expect(codeOf(body, { name: null })).toBe('name_required');
    expect(codeOf(body, { name: '' })).toBe('name_required');
    expect(codeOf(body, { name: '   ' })).toBe('name_required');
    expect(validate(body, { name: false }, 'body')).toEqual({ ok: false, problem: { code: 'name_not_string', message: 'name must be a string' } });
    expect(codeOf(body, { name: 'tab\there' })).toBe('name_invalid');
    expect(codeOf(body, { name: 'del\u007f' })).toBe('name_invalid');
    // The field's name makes the code and the sentence, wherever the rule is used.
    expect(validate(z.object({ into: personName }), { into: 'a\u202eb' }, 'body')).toEqual({
      ok: false,
      problem: { code: 'into_invalid', message: 'into must not contain control or bidirectional-override characters' },
    });
    expect(validate(body, { name: 'x'.repeat(256) }, 'body')).toEqual({
      ok: false,
      problem: { code: 'name_too_long', message: 'name must be at most 255 characters' },
    });
  });

  it('a key name is the same rule within 100 characters', () => {
    const keyBody = z.object({ name: keyName });
    expect(validate(keyBody, { name: 'x'.repeat(100) }, 'body').ok).toBe(true);
    expect(codeOf(keyBody, { name: 'x'.repeat(101) })).toBe('name_too_long');
    expect(codeOf(keyBody, { name: 'a\nb' })).toBe('name_invalid');
  });

  it('documents the limits it checks', () => {
    expect(z.toJSONSchema(personName, { io: 'input' })).toMatchObject({ type: 'string', minLength: 1, maxLength: 255 });
    expect(z.toJSONSchema(keyName, { io: 'input' })).toMatchObject({ maxLength: 100 });
  });
});

describe('image paths', () => {
  const body = z.object({ path: imagePath });

  it('passes a trimmed path on', () => {
    expect(validate(body, { path: ' holiday/a.jpg ' }, 'body')).toEqual({ ok: true, value: { path: 'holiday/a.jpg' } });
  });

  it.each([
    [{}, 'path_required'],
    [{ path: null }, 'path_required'],
    [{ path: ' ' }, 'path_required'],
    [{ path: 5 }, 'path_not_string'],
    [{ path: ['a.jpg'] }, 'path_not_string'],
    [{ path: 'a\0.jpg' }, 'path_invalid'],
    [{ path: 'a'.repeat(MAX_IMAGE_PATH_LENGTH + 1) }, 'path_invalid'],
  ])('refuses %j with %s', (value, code) => {
    expect(codeOf(body, value)).toBe(code);
  });
});

describe('the body itself', () => {
  const body = z.object({ name: personName });

  it('is required and must be a JSON object', () => {
    expect(validate(body, undefined, 'body')).toEqual({ ok: false, problem: { code: 'body_required', message: 'request body is required' } });
    for (const value of [null, [], 'a', 3, true]) {
      const result = validate(body, value, 'body');
      expect(result.ok || result.problem.code, JSON.stringify(value)).toBe(value === null ? 'body_required' : 'body_not_object');
    }
  });
});

describe('query parameters', () => {
  const page = keysetPageQuery((text) => (text === 'ok' ? { beforeId: 9 } : undefined));

  it('defaults the limit and treats empty parameters as absent', () => {
    expect(validate(page, {}, 'query')).toEqual({ ok: true, value: { limit: DEFAULT_PAGE_SIZE, cursor: undefined } });
    expect(validate(page, { limit: '', cursor: '' }, 'query')).toEqual({ ok: true, value: { limit: DEFAULT_PAGE_SIZE, cursor: undefined } });
    expect(validate(page, { limit: '200', cursor: 'ok' }, 'query')).toEqual({ ok: true, value: { limit: 200, cursor: { beforeId: 9 } } });
  });

  it.each([
    [{ limit: '0' }, 'invalid_limit'],
    [{ limit: '201' }, 'invalid_limit'],
    [{ limit: '-1' }, 'invalid_limit'],
    [{ limit: '2.5' }, 'invalid_limit'],
    [{ limit: '1e2' }, 'invalid_limit'],
    [{ limit: ['5', '6'] }, 'invalid_limit'],
    [{ cursor: 'abc' }, 'invalid_cursor'],
  ])('refuses %j with %s', (query, code) => {
    expect(codeOf(page, query, 'query')).toBe(code);
  });

  it('reads a status and an id, each given once', () => {
    const query = z.object({ status: imageStatusParam, person: idParam('person') });
    expect(validate(query, { status: 'failed', person: '3' }, 'query')).toEqual({ ok: true, value: { status: 'failed', person: 3 } });
    expect(codeOf(query, { status: 'FAILED' }, 'query')).toBe('invalid_status');
    expect(codeOf(query, { status: ['failed'] }, 'query')).toBe('invalid_status');
    for (const bad of ['0', '01', '1.0', ' 1', String(MAX_ID + 1)]) expect(codeOf(query, { person: bad }, 'query')).toBe('invalid_person');
  });

  it('documents each parameter as what it means, not as text', () => {
    expect(z.toJSONSchema(page, { io: 'input' })).toMatchObject({
      properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, cursor: { type: 'string' } },
    });
  });
});

describe('codes and messages of plain zod rules', () => {
  it('name each problem after its field and kind', () => {
    const body = z.object({ count: z.number().int().min(1).max(5), tags: z.array(z.string()).max(2), mode: z.enum(['a', 'b']) });
    const problem = (value: unknown) => {
      const result = validate(body, { count: 2, tags: [], mode: 'a', ...(value as object) }, 'body');
      return result.ok ? undefined : result.problem;
    };
    expect(problem({ count: 0 })).toEqual({ code: 'count_too_small', message: 'count must be at least 1' });
    expect(problem({ count: 6 })).toEqual({ code: 'count_too_big', message: 'count must be at most 5' });
    expect(problem({ count: 'two' })).toEqual({ code: 'count_not_number', message: 'count must be a number' });
    expect(problem({ tags: ['a', 'b', 'c'] })).toEqual({ code: 'tags_too_many', message: 'tags may hold at most 2 items, not 3' });
    expect(problem({ mode: 'c' })).toEqual({ code: 'mode_invalid', message: 'mode must be one of a, b' });
    expect(validate(body, { count: 'x' }, 'query')).toMatchObject({ ok: false, problem: { code: 'invalid_count' } });
  });
});

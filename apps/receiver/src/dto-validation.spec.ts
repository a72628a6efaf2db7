import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { encodeImageCursor } from '@visage/persistence';
import { ImagePathError, ImagePathProblem } from '@visage/storage';
import { parseId } from './common/positive-id.pipe';
import { DEFAULT_PAGE_SIZE, parseListImagesQuery } from './images/dto/list-images.dto';
import { parsePostImageBody } from './images/dto/post-image.dto';
import { parseBatchItem, parsePostImagesBody } from './images/dto/post-images.dto';
import { imagePathApiError } from './images/image-path-errors';

/** Status and body of what `run` throws (an ApiError), or fails the test if it does not throw one. */
function refusal(run: () => unknown): { status: number; body: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpException) return { status: error.getStatus(), body: error.getResponse() as Record<string, unknown> };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('image path problems → HTTP', () => {
  it.each<[ImagePathProblem, number]>([
    ['path_required', 400],
    ['path_not_string', 400],
    ['path_invalid', 400],
    ['outside_root', 422],
    ['not_found', 422],
    ['not_a_file', 422],
    ['too_large', 422],
    ['empty_file', 422],
  ])('%s → %i with the problem as code and its message', (problem, status) => {
    const error = imagePathApiError(new ImagePathError(problem, 'detail'));
    expect(error.getStatus()).toBe(status);
    expect(error.getResponse()).toEqual({
      statusCode: status,
      error: status === 400 ? 'Bad Request' : 'Unprocessable Entity',
      message: new ImagePathError(problem, 'detail').message,
      code: problem,
    });
  });
});

describe('POST /image/post body', () => {
  it('passes the raw path on (resolveImagePath judges it) and refuses non-objects', () => {
    expect(parsePostImageBody({ path: 'a.jpg' })).toEqual({ path: 'a.jpg' });
    expect(parsePostImageBody({ path: 5 })).toEqual({ path: 5 });
    expect(parsePostImageBody({})).toEqual({ path: undefined });
    expect(refusal(() => parsePostImageBody(undefined))).toMatchObject({ status: 400, body: { code: 'body_required' } });
    for (const body of [null, [], 'a.jpg', 3, true]) {
      expect(refusal(() => parsePostImageBody(body)), JSON.stringify(body)).toMatchObject({ status: 400, body: { code: 'body_not_object' } });
    }
  });
});

describe('POST /images/post body', () => {
  it('checks only the envelope; items are judged one by one', () => {
    expect(parsePostImagesBody({ paths: [{ path: 'a' }, 'b'] })).toEqual({ items: [{ path: 'a' }, 'b'] });
    expect(refusal(() => parsePostImagesBody({}))).toMatchObject({ status: 400, body: { code: 'paths_required' } });
    expect(refusal(() => parsePostImagesBody({ paths: {} }))).toMatchObject({ status: 400, body: { code: 'paths_not_array' } });
    expect(refusal(() => parsePostImagesBody({ paths: [] }))).toMatchObject({ status: 400, body: { code: 'paths_empty' } });
    expect(parseBatchItem({ path: 'x' })).toEqual({ path: 'x' });
    for (const item of ['x', null, [], 1]) expect(refusal(() => parseBatchItem(item)).body.code).toBe('item_not_object');
  });
});

describe('GET /images query', () => {
  it('defaults, accepts valid values and treats empty parameters as absent', () => {
    expect(parseListImagesQuery({})).toEqual({ status: undefined, limit: DEFAULT_PAGE_SIZE, cursor: undefined });
    expect(parseListImagesQuery({ status: '', limit: '', cursor: '' })).toEqual({ status: undefined, limit: DEFAULT_PAGE_SIZE, cursor: undefined });
    expect(parseListImagesQuery({ status: 'failed', limit: '200', cursor: encodeImageCursor({ beforeId: 9 }) })).toEqual({
      status: 'failed',
      limit: 200,
      cursor: { beforeId: 9 },
    });
  });

  it.each([
    [{ status: 'FAILED' }, 'invalid_status'],
    [{ status: ['failed'] }, 'invalid_status'],
    [{ limit: '0' }, 'invalid_limit'],
    [{ limit: '-1' }, 'invalid_limit'],
    [{ limit: '2.5' }, 'invalid_limit'],
    [{ limit: '1e2' }, 'invalid_limit'],
    [{ cursor: 'abc' }, 'invalid_cursor'],
  ])('refuses %j with %s', (query, code) => {
    expect(refusal(() => parseListImagesQuery(query))).toMatchObject({ status: 400, body: { code } });
  });
});

describe('route ids', () => {
  it('accepts positive 32-bit integers only', () => {
    expect(parseId('1')).toBe(1);
    expect(parseId('2147483647')).toBe(2147483647);
    for (const bad of ['0', '-1', '01', '1.0', '1e3', ' 1', '2147483648', '', undefined]) {
      expect(refusal(() => parseId(bad)), String(bad)).toMatchObject({ status: 400, body: { code: 'invalid_id' } });
    }
  });
});

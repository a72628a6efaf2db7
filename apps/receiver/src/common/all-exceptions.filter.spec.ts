import { NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { PersistenceError } from '@visage/persistence';
import { ImagePathError, ImagePathProblem } from '@visage/storage';
import { ApiError } from './api-error';
import { errorBodyOf } from './all-exceptions.filter';

describe("the receiver's error mapper", () => {
  it.each<[ImagePathProblem, number]>([
    ['path_required', 400],
    ['path_not_string', 400],
    ['path_invalid', 400],
    ['outside_root', 422],
    ['not_found', 422],
    ['not_a_file', 422],
    ['too_large', 422],
    ['empty_file', 422],
  ])('image path %s → %i with the problem as code and its message', (problem, status) => {
    expect(errorBodyOf(new ImagePathError(problem, 'detail'))).toEqual({
      statusCode: status,
      error: status === 400 ? 'Bad Request' : 'Unprocessable Entity',
      message: new ImagePathError(problem, 'detail').message,
      code: problem,
    });
  });

  it('answers a person deleted meanwhile with 409 person_deleted', () => {
    expect(errorBodyOf(new PersistenceError('person_deleted'))).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'the person was deleted meanwhile',
      code: 'person_deleted',
    });
  });

  it('answers a transaction deadlocked on every try with 503 database_busy (the client may retry)', () => {
    expect(errorBodyOf(new PersistenceError('database_busy'))).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'database_busy',
    });
  });

  it("keeps our HTTP errors, names the code of Nest's own, and leaves anything else to the 500", () => {
    expect(errorBodyOf(new ApiError(409, 'taken', { code: 'duplicate_name', id: 4 }))).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'taken',
      code: 'duplicate_name',
      id: 4,
    });
    expect(errorBodyOf(new NotFoundException('Cannot GET /nope'))).toMatchObject({ statusCode: 404, code: 'route_not_found' });
    expect(errorBodyOf(new Error('secret connection string'))).toBeUndefined();
    expect(errorBodyOf('thrown text')).toBeUndefined();
  });
});

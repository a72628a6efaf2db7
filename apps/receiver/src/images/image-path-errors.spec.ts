import { describe, expect, it } from 'vitest';
import { ImagePathError, ImagePathProblem } from '@visage/storage';
import { imagePathApiError } from './image-path-errors';

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

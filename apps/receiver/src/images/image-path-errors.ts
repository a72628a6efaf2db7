import { HttpStatus } from '@nestjs/common';
import { ImagePathError, ImagePathProblem } from '@visage/storage';
import { ApiError } from '../common/api-error';

/**
 * 400: the path value itself is malformed. 422: it is well-formed but names something that cannot be
 * ingested (outside the root, missing, a directory, too large, empty).
 */
const STATUS_BY_PROBLEM: Record<ImagePathProblem, HttpStatus> = {
  path_required: HttpStatus.BAD_REQUEST,
  path_not_string: HttpStatus.BAD_REQUEST,
  path_invalid: HttpStatus.BAD_REQUEST,
  outside_root: HttpStatus.UNPROCESSABLE_ENTITY,
  not_found: HttpStatus.UNPROCESSABLE_ENTITY,
  not_a_file: HttpStatus.UNPROCESSABLE_ENTITY,
  too_large: HttpStatus.UNPROCESSABLE_ENTITY,
  empty_file: HttpStatus.UNPROCESSABLE_ENTITY,
};

export function imagePathApiError(error: ImagePathError): ApiError {
  return new ApiError(STATUS_BY_PROBLEM[error.problem], error.message, { code: error.problem });
}

import { HttpStatus } from '@nestjs/common';
import { ImagePathProblem } from '@visage/storage';

/**
 * The one HTTP status of each image-path problem, for every HTTP app (the receiver's JSON, the dashboard's
 * thumbnails): 400 when the path text itself is malformed, 422 when it is well formed but names something that
 * cannot be used — outside the root, missing, not a file, too large, empty — whether it was submitted or asked for
 * as a thumbnail. Not 403/404: "outside the root" and "no such file" are facts about the client's input, and one
 * status per problem lets a client act on `code` alone.
 */
export const IMAGE_PATH_PROBLEM_STATUS: Record<ImagePathProblem, HttpStatus> = {
  path_required: HttpStatus.BAD_REQUEST,
  path_not_string: HttpStatus.BAD_REQUEST,
  path_invalid: HttpStatus.BAD_REQUEST,
  outside_root: HttpStatus.UNPROCESSABLE_ENTITY,
  not_found: HttpStatus.UNPROCESSABLE_ENTITY,
  not_a_file: HttpStatus.UNPROCESSABLE_ENTITY,
  too_large: HttpStatus.UNPROCESSABLE_ENTITY,
  empty_file: HttpStatus.UNPROCESSABLE_ENTITY,
};

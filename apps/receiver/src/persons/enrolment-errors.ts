import { HttpStatus } from '@nestjs/common';
import { FaceAnalysisError } from '@visage/domain';
import { EnrolmentResult, noDominantFaceReason } from '@visage/enrolment';
import { ImagePathError } from '@visage/storage';
import { ApiError } from '../common/api-error';
import { personNotFound } from './person-errors';

export type Enrolled = Extract<EnrolmentResult, { status: 'enrolled' }>;

/** Every enrolment outcome but success as the uniform error JSON; success passes through. */
export function enrolledOrApiError(result: EnrolmentResult): Enrolled {
  switch (result.status) {
    case 'enrolled':
      return result;
    case 'person_not_found':
      throw personNotFound(result.personId);
    case 'invalid_path':
      throw new ImagePathError(result.problem);
    case 'no_face':
      throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, `no face found in ${result.path}; an enrolment image must show the person's face`, {
        code: 'no_face',
      });
    case 'several_faces':
      throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, `${result.path}: ${noDominantFaceReason(result.count)}`, { code: 'several_faces' });
    case 'invalid_image':
      throw new ApiError(HttpStatus.UNPROCESSABLE_ENTITY, `${result.path} is not a usable image: ${result.reason}`, { code: 'invalid_image' });
  }
}

/** The recognizer being down or overloaded is not the client's fault: 503, try again later. */
export function recognizerUnavailable(error: unknown): never {
  if (error instanceof FaceAnalysisError && error.kind === 'transient') {
    throw new ApiError(HttpStatus.SERVICE_UNAVAILABLE, `the face recognizer is unavailable (${error.message}); try again later`, {
      code: 'recognizer_unavailable',
    });
  }
  throw error;
}

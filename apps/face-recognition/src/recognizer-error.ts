import { CodedError } from '@visage/domain';

/**
 * The one list of the recognizer's error codes, by where they arise. The gRPC status of each is
 * `toAnalysisError`'s (analysis/analysis-error.ts), the recognizer's one mapper.
 */
export const RECOGNIZER_ERROR_CODES = {
  /** Why the decoder refused an image (the labels of ../shared/faces/labels.json): the image's fault, for good; `ImageDecodeError`. */
  image: ['empty', 'not_an_image', 'corrupt', 'too_small', 'too_large', 'unsupported_format'],
  /** Why the worker pool could not run a job (overload, deadline, shutdown): never the image's fault; `PoolError`. */
  pool: ['queue_full', 'deadline_exceeded', 'cancelled', 'not_ready', 'worker_failed', 'closed'],
  /** How a job a worker ran failed (the image, the file, or the worker itself); `AnalysisFailedError`. */
  worker: ['invalid_image', 'not_found', 'internal'],
} as const;

export type ImageProblem = (typeof RECOGNIZER_ERROR_CODES.image)[number];
export type PoolRejection = (typeof RECOGNIZER_ERROR_CODES.pool)[number];
export type WorkerFailureKind = (typeof RECOGNIZER_ERROR_CODES.worker)[number];
/** Every code a recognizer error carries. */
export type RecognizerErrorCode = ImageProblem | PoolRejection | WorkerFailureKind;

/** The base of the recognizer's errors: `code` from {@link RECOGNIZER_ERROR_CODES}, narrowed by each subclass. */
export abstract class RecognizerError<Code extends RecognizerErrorCode = RecognizerErrorCode> extends CodedError<Code> {}

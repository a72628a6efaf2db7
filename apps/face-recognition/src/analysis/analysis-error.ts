import { status as GrpcStatus } from '@grpc/grpc-js';
import { describeError } from '@visage/domain';
import { ImagePathError, ImagePathProblem } from '@visage/storage';
import { PoolRejection } from '../recognizer-error';
import { AnalysisFailedError, PoolError } from './recognizer-pool';

/** A failed analysis as the gRPC client sees it: status code, machine-readable reason, human message. */
export class AnalysisError extends Error {
  constructor(
    readonly code: GrpcStatus,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'AnalysisError';
  }
}

const PATH_STATUS: Record<ImagePathProblem, GrpcStatus> = {
  path_required: GrpcStatus.INVALID_ARGUMENT,
  path_not_string: GrpcStatus.INVALID_ARGUMENT,
  path_invalid: GrpcStatus.INVALID_ARGUMENT,
  outside_root: GrpcStatus.PERMISSION_DENIED,
  not_found: GrpcStatus.NOT_FOUND,
  not_a_file: GrpcStatus.INVALID_ARGUMENT,
  too_large: GrpcStatus.INVALID_ARGUMENT,
  empty_file: GrpcStatus.INVALID_ARGUMENT,
};

const POOL_STATUS: Record<PoolRejection, GrpcStatus> = {
  queue_full: GrpcStatus.RESOURCE_EXHAUSTED,
  deadline_exceeded: GrpcStatus.DEADLINE_EXCEEDED,
  cancelled: GrpcStatus.CANCELLED,
  not_ready: GrpcStatus.UNAVAILABLE,
  worker_failed: GrpcStatus.INTERNAL,
  closed: GrpcStatus.UNAVAILABLE,
};

/** Every failure gets a precise status: permanent ones (the file) vs transient ones (the service). */
export function toAnalysisError(error: unknown): AnalysisError {
  if (error instanceof AnalysisError) return error;
  if (error instanceof ImagePathError) {
    const reason = error.code === 'empty_file' ? 'empty' : error.code;
    return new AnalysisError(PATH_STATUS[error.code], reason, `${reason}: ${error.message}`);
  }
  if (error instanceof PoolError) return new AnalysisError(POOL_STATUS[error.code], error.code, error.message);
  if (error instanceof AnalysisFailedError) {
    const failure = error.failure;
    if (failure.kind === 'invalid_image') return new AnalysisError(GrpcStatus.INVALID_ARGUMENT, failure.reason, failure.message);
    if (failure.kind === 'not_found') return new AnalysisError(GrpcStatus.NOT_FOUND, 'not_found', failure.message);
    return new AnalysisError(GrpcStatus.INTERNAL, 'internal', failure.message);
  }
  return new AnalysisError(GrpcStatus.INTERNAL, 'internal', describeError(error));
}

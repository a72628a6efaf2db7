import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { FaceAnalysisError } from '@visage/domain';
import { REASON_METADATA_KEY } from './face-proto';

/** The file itself is the problem: retrying the same request cannot succeed. */
export const PERMANENT_STATUSES: ReadonlySet<GrpcStatus> = new Set([
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.NOT_FOUND,
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.FAILED_PRECONDITION,
]);

export function grpcStatusName(code: number): string {
  return GrpcStatus[code] ?? `STATUS_${code}`;
}

export interface GrpcErrorLike {
  code?: number;
  details?: string;
  message?: string;
  metadata?: Metadata;
}

/** Everything not known to be permanent is transient (unavailable, overloaded, timed out, internal). */
export function toFaceAnalysisError(error: GrpcErrorLike): FaceAnalysisError {
  const code = typeof error.code === 'number' ? error.code : GrpcStatus.UNKNOWN;
  const name = grpcStatusName(code);
  const detail = error.details || error.message || 'no details';
  const reason = error.metadata?.get(REASON_METADATA_KEY)[0];
  // The status name travels in `code`; callers that log both (the processor) prefix it themselves.
  return new FaceAnalysisError(PERMANENT_STATUSES.has(code) ? 'permanent' : 'transient', detail, name, typeof reason === 'string' ? reason : undefined);
}

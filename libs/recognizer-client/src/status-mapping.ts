import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { FaceAnalysisError, RECOGNIZER_OVERLOADED } from '@visage/domain';
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

/** The recognizer pool's reasons for a call it never started: no room in its queue, or the deadline passed there. */
const OVERLOAD_REASONS: ReadonlySet<string> = new Set(['queue_full', 'deadline_exceeded']);

/**
 * Everything not known to be permanent is transient (unavailable, overloaded, timed out, internal). Overload
 * (RESOURCE_EXHAUSTED, or the recognizer's own "deadline passed while queued") gets the reason
 * {@link RECOGNIZER_OVERLOADED}; a deadline the client saw pass without that answer stays a plain timeout.
 */
export function toFaceAnalysisError(error: GrpcErrorLike): FaceAnalysisError {
  const code = typeof error.code === 'number' ? error.code : GrpcStatus.UNKNOWN;
  const name = grpcStatusName(code);
  const detail = error.details || error.message || 'no details';
  const sent = error.metadata?.get(REASON_METADATA_KEY)[0];
  const reason = typeof sent === 'string' ? sent : undefined;
  const overloaded = code === GrpcStatus.RESOURCE_EXHAUSTED || (reason !== undefined && OVERLOAD_REASONS.has(reason));
  // The status name travels in `code`; callers that log both (the processor) prefix it themselves.
  return new FaceAnalysisError(PERMANENT_STATUSES.has(code) ? 'permanent' : 'transient', detail, name, overloaded ? RECOGNIZER_OVERLOADED : reason);
}

import { DetectedFace, FaceMatch } from './face';

export interface FaceAnalysis {
  width: number;
  height: number;
  faces: DetectedFace[];
}

/**
 * `permanent`: the file itself is the problem (missing, outside the root, not an image, corrupt, too large);
 * retrying cannot help. `transient`: the recognizer is unavailable, overloaded or timed out; retry later.
 */
export type FaceAnalysisErrorKind = 'permanent' | 'transient';

/**
 * Reason of the transient error a recognizer answers while it is still loading its models: the image is not
 * at fault and the service is not failing, so the processor spends no attempt on it.
 */
export const RECOGNIZER_NOT_READY = 'not_ready';

export class FaceAnalysisError extends Error {
  constructor(
    readonly kind: FaceAnalysisErrorKind,
    message: string,
    /** gRPC status name, e.g. INVALID_ARGUMENT, UNAVAILABLE. */
    readonly code?: string,
    /** The recognizer's machine-readable reason, when it sent one (e.g. {@link RECOGNIZER_NOT_READY}, `corrupt`). */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'FaceAnalysisError';
  }
}

/** Port to the face-recognition service (gRPC in production). */
export interface FaceAnalyzer {
  analyze(path: string, options?: { deadlineMs?: number; includeLandmarks?: boolean }): Promise<FaceAnalysis>;
  /** True when the service's gRPC health check answers SERVING. */
  isServing(options?: { deadlineMs?: number }): Promise<boolean>;
}

/** Port to the matcher: nearest known person within the threshold, or undefined (an unknown face). */
export interface FaceMatcher {
  match(descriptor: Float32Array): (FaceMatch & { matched: boolean }) | undefined;
}

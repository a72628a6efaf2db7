import { DescriptorRecipe, DetectedFace, FaceMatch } from './face';

export interface FaceAnalysis {
  width: number;
  height: number;
  faces: DetectedFace[];
  /** How the faces' descriptors were computed (`crop` from a recognizer older than recipes). */
  recipe: DescriptorRecipe;
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

/**
 * Reason given to a transient error when the recognizer is overloaded: its work queue was full
 * (RESOURCE_EXHAUSTED) or the call's deadline passed while it waited in that queue. Back-pressure, not the
 * image's fault: the processor defers the image with a backoff and spends no attempt.
 */
export const RECOGNIZER_OVERLOADED = 'overloaded';

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

/**
 * When a face is named: its nearest person (the nearest of that person's enrolments) is within `threshold`
 * (MATCH_THRESHOLD) AND every other person is at least `margin` (MATCH_MARGIN) farther. The margin is what keeps
 * strangers unnamed in a large gallery: a stranger tends to fall near several people at once, a known face near
 * one (docs/recognizer.md, "Operating point").
 */
export interface MatchRule {
  readonly threshold: number;
  readonly margin: number;
}

/** The rule on a nearest and a second-nearest person's distance (Infinity: no other person). */
export function namedByRule(rule: MatchRule, nearest: number, secondNearest: number): boolean {
  return nearest <= rule.threshold && secondNearest - nearest >= rule.margin;
}

/** One gallery version, fixed: every face of an image is matched against the same one, which is then recorded. */
export interface GalleryView {
  /** Gallery version (database counter) these descriptors are; -1 before the first load. */
  readonly version: number;
  /** MATCH_THRESHOLD and MATCH_MARGIN: when a face is a known person. */
  readonly rule: MatchRule;
  /**
   * Nearest known person (`matched` only when the {@link MatchRule} names it), or undefined for an empty gallery.
   * The enrolments of `excludePersonIds` (persons rejected for this face in the review, or taken by a closer face
   * of the same image) are skipped.
   */
  match(descriptor: Float32Array, excludePersonIds?: ReadonlySet<number>): (FaceMatch & { matched: boolean }) | undefined;
}

/** Port to the matcher: the gallery as loaded now, and a reload on demand. */
export interface FaceMatcher {
  current(): GalleryView;
  /** Reloads at once if the gallery changed (a matched person was deleted meanwhile); true when it reloaded. */
  refresh(): Promise<boolean>;
}

import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH, DetectedFace, FaceAnalysis, FaceAnalysisError } from '@visage/domain';
import { ContentFaceAnalyzer } from '@visage/recognizer-client';

/**
 * The one stand-in for the recognizer port (`FaceAnalyzer`, and `ContentFaceAnalyzer` for enrolment) in tests that
 * run in one process. Multi-process stacks use the gRPC `RecognizerDouble` of test/e2e/harness.ts instead.
 */

/**
 * Descriptor whose first value names the person the processor's fake matcher will return (0 = a stranger), so
 * tests state "a face of person 7" without real models.
 */
export function faceOf(personId: number): DetectedFace {
  const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
  descriptor[0] = personId;
  return { box: { x: 10 * personId, y: 5, width: 50, height: 60 }, score: 0.97, descriptor };
}

export type AnalyzeBehaviour = (path: string, options?: { deadlineMs?: number }) => Promise<FaceAnalysis>;
export type AnalyzeContentBehaviour = (content: Buffer) => Promise<FaceAnalysis>;

const noFaces: AnalyzeBehaviour = async () => ({ width: 100, height: 80, faces: [], recipe: DEFAULT_DESCRIPTOR_RECIPE });

/**
 * Scripted recognizer: `behaviour` answers each path, `contentBehaviour` each content (enrolment sends bytes);
 * the calls are recorded; `serving` answers the health probe.
 */
export class FakeFaceAnalyzer implements ContentFaceAnalyzer {
  analyzeCalls: Array<{ path: string; deadlineMs?: number }> = [];
  contentCalls = 0;
  probeCalls = 0;
  serving = true;

  constructor(
    public behaviour: AnalyzeBehaviour = noFaces,
    public contentBehaviour: AnalyzeContentBehaviour = async () => {
      throw new Error('this fake recognizer was given no answer for contents');
    },
  ) {}

  analyze(path: string, options?: { deadlineMs?: number }): Promise<FaceAnalysis> {
    this.analyzeCalls.push({ path, deadlineMs: options?.deadlineMs });
    return this.behaviour(path, options);
  }

  analyzeContent(content: Buffer): Promise<FaceAnalysis> {
    this.contentCalls += 1;
    return this.contentBehaviour(content);
  }

  async isServing(): Promise<boolean> {
    this.probeCalls += 1;
    return this.serving;
  }
}

export const unavailable: AnalyzeBehaviour = async () => {
  throw new FaceAnalysisError('transient', 'connect ECONNREFUSED 127.0.0.1:50051', 'UNAVAILABLE');
};

export const corrupt: AnalyzeBehaviour = async () => {
  throw new FaceAnalysisError('permanent', 'not a decodable image', 'INVALID_ARGUMENT');
};

/** A recognizer slower than any deadline: fails the way the gRPC client does when the deadline passes. */
export const slowerThanDeadline: AnalyzeBehaviour = (_path, options) =>
  new Promise((_, reject) =>
    setTimeout(
      () => reject(new FaceAnalysisError('transient', `deadline of ${options?.deadlineMs} ms exceeded`, 'DEADLINE_EXCEEDED')),
      options?.deadlineMs ?? 0,
    ),
  );

/** Answers with the faces listed per path (`faces/<ids>.jpg` → persons; 0 is a stranger). */
export const facesFromPath: AnalyzeBehaviour = async (path) => {
  const ids = /faces\/([\d-]*)\.jpg$/.exec(path)?.[1];
  const faces = ids
    ? ids
        .split('-')
        .filter(Boolean)
        .map((id) => faceOf(Number(id)))
    : [];
  return { width: 640, height: 480, faces, recipe: DEFAULT_DESCRIPTOR_RECIPE };
};

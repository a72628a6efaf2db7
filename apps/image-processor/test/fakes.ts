import { DESCRIPTOR_LENGTH, DetectedFace, FaceAnalysis, FaceAnalysisError, FaceAnalyzer, FaceMatch, FaceMatcher, GalleryView } from '@visage/domain';
import { PausableConsumer } from '@visage/queue';

// ---- recognizer and matcher ----------------------------------------------------------------------------

/**
 * Descriptor whose first value names the person the fake matcher will return (0 = a stranger), so tests
 * state "a face of person 7" without real models.
 */
export function faceOf(personId: number): DetectedFace {
  const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
  descriptor[0] = personId;
  return { box: { x: 10 * personId, y: 5, width: 50, height: 60 }, score: 0.97, descriptor };
}

export type AnalyzeBehaviour = (path: string, options?: { deadlineMs?: number }) => Promise<FaceAnalysis>;

/** Scripted recognizer: `behaviour` decides each answer; `serving` answers the health probe. */
export class FakeFaceAnalyzer implements FaceAnalyzer {
  analyzeCalls: Array<{ path: string; deadlineMs?: number }> = [];
  probeCalls = 0;
  serving = true;

  constructor(public behaviour: AnalyzeBehaviour = async () => ({ width: 100, height: 80, faces: [], recipe: 'chip-flip' })) {}

  analyze(path: string, options?: { deadlineMs?: number }): Promise<FaceAnalysis> {
    this.analyzeCalls.push({ path, deadlineMs: options?.deadlineMs });
    return this.behaviour(path, options);
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
  const faces = ids ? ids.split('-').filter(Boolean).map((id) => faceOf(Number(id))) : [];
  return { width: 640, height: 480, faces, recipe: 'chip-flip' };
};

export class FakeMatcher implements FaceMatcher {
  version = 1;
  refreshes = 0;
  /** What a reload changes (e.g. a person deleted elsewhere disappears from `known`). */
  onRefresh: (() => void) | undefined;

  constructor(readonly known: Map<number, string>) {}

  current(): GalleryView {
    return { version: this.version, rule: { threshold: 0.5, margin: 0 }, match: (descriptor) => this.match(descriptor) };
  }

  async refresh(): Promise<boolean> {
    this.refreshes += 1;
    if (!this.onRefresh) return false;
    this.onRefresh();
    this.version += 1;
    return true;
  }

  match(descriptor: Float32Array): (FaceMatch & { matched: boolean }) | undefined {
    const id = Math.round(descriptor[0]);
    const name = this.known.get(id);
    if (name) return { personId: id, personName: name, distance: 0.25, matched: true };
    // Nearest known person exists but is too far away: not a match.
    const [nearestId, nearestName] = [...this.known.entries()][0] ?? [];
    return nearestId === undefined ? undefined : { personId: nearestId, personName: nearestName ?? '', distance: 0.9, matched: false };
  }
}

export class FakeConsumer implements PausableConsumer {
  paused = false;
  pauses = 0;
  resumes = 0;
  connected = true;

  pause(): void {
    this.paused = true;
    this.pauses += 1;
  }

  resume(): void {
    this.paused = false;
    this.resumes += 1;
  }

  isConnected(): boolean {
    return this.connected;
  }
}

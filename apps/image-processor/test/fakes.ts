import { FaceMatch, FaceMatcher, GalleryView } from '@visage/domain';
import { PausableConsumer } from '@visage/queue';

/**
 * The processor's other ports, for tests that build it in one process: the matcher (`faceOf(id)` descriptors of
 * test/support/fake-face-analyzer.ts name person `id`) and the pausable consumer. The recognizer's fake is the
 * shared `FakeFaceAnalyzer` of test/support.
 */
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

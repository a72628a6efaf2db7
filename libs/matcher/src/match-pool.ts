import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { DESCRIPTOR_LENGTH, stopWorker } from '@visage/domain';
import { Identity } from './gallery-delta';
import { VersionedGallery } from './gallery';
import { FromMatchWorker, MatchEngine, ToMatchWorker } from './match.protocol';

interface PoolWorker {
  worker: Worker;
  /** Gallery (object) this worker holds a copy of. */
  holds?: VersionedGallery;
  pending: Map<number, { resolve: (message: FromMatchWorker) => void; reject: (error: Error) => void }>;
}

/** The worker script next to this build: `.ts` under Vitest/tsx, `.js` from dist. */
function workerFile(): string {
  return join(__dirname, `match.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
}

/**
 * Matching many faces against the whole gallery on every core: each worker thread holds a copy of the gallery
 * (sent once per version) and matches a share of the descriptors — as one matrix product on ONNX Runtime
 * ({@link GemmMatcher}, one ORT thread per worker) with {@link Gallery.match}'s answers, or with
 * {@link Gallery.match} itself when ORT cannot load (logged once per reason). Used by the re-match job for the
 * faces the change log cannot decide.
 */
export class MatchPool {
  private readonly logger = new Logger('MatchPool');
  private readonly workers: PoolWorker[] = [];
  private readonly reportedEngines = new Set<string>();
  private nextId = 1;

  constructor(readonly size = Math.max(1, availableParallelism())) {}

  /** The identity of every descriptor against `gallery`, in order. */
  async matchAll(gallery: VersionedGallery, descriptors: readonly Float32Array[]): Promise<Identity[]> {
    if (descriptors.length === 0) return [];
    this.start();
    const share = Math.ceil(descriptors.length / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((entry, index) => this.matchPart(entry, gallery, descriptors.slice(index * share, (index + 1) * share))),
    );
    return parts.flat();
  }

  /**
   * Asks each worker to release its ONNX Runtime session and end itself ({@link stopWorker}): terminating a thread
   * that still holds a native session can abort the whole process.
   */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((entry) => stopWorker(entry.worker, () => entry.worker.postMessage({ kind: 'close' } satisfies ToMatchWorker))));
  }

  private async matchPart(entry: PoolWorker, gallery: VersionedGallery, descriptors: readonly Float32Array[]): Promise<Identity[]> {
    if (descriptors.length === 0) return [];
    if (entry.holds !== gallery) {
      this.post(entry, { kind: 'gallery', version: gallery.version, gallery: gallery.gallery.packed() });
      entry.holds = gallery;
    }
    const packed = new Float32Array(descriptors.length * DESCRIPTOR_LENGTH);
    descriptors.forEach((descriptor, index) => packed.set(descriptor, index * DESCRIPTOR_LENGTH));
    const id = this.nextId++;
    const answer = await new Promise<FromMatchWorker>((resolve, reject) => {
      entry.pending.set(id, { resolve, reject });
      this.post(entry, { kind: 'match', id, version: gallery.version, rule: gallery.rule, descriptors: packed }, [packed.buffer]);
    });
    if (answer.kind === 'failed') throw new Error(`match worker: ${answer.message}`);
    this.report(answer.engine);
    return Array.from(answer.personIds, (personId, index) => ({
      personId: answer.matched[index] ? personId : null,
      distance: Number.isNaN(answer.distances[index]) ? null : answer.distances[index],
    }));
  }

  private report(engine: MatchEngine): void {
    const line =
      engine.kind === 'gemm'
        ? 'whole-gallery matches run as a batched GEMM on ONNX Runtime'
        : `whole-gallery matches use the scalar kernel: ${engine.reason}`;
    if (this.reportedEngines.has(line)) return;
    this.reportedEngines.add(line);
    if (engine.kind === 'gemm') this.logger.log(line);
    else this.logger.warn(line);
  }

  private post(entry: PoolWorker, message: ToMatchWorker, transfer: ArrayBuffer[] = []): void {
    entry.worker.postMessage(message, transfer);
  }

  private start(): void {
    while (this.workers.length < this.size) {
      const file = workerFile();
      // Under Vitest the worker is TypeScript source: a CommonJS bootstrap registers tsx's require hook first.
      const worker = file.endsWith('.ts') ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true }) : new Worker(file);
      worker.unref();
      const entry: PoolWorker = { worker, pending: new Map() };
      worker.on('message', (message: FromMatchWorker) => {
        entry.pending.get(message.id)?.resolve(message);
        entry.pending.delete(message.id);
      });
      const fail = (error: Error) => {
        for (const waiter of entry.pending.values()) waiter.reject(error);
        entry.pending.clear();
        const index = this.workers.indexOf(entry);
        if (index >= 0) this.workers.splice(index, 1);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`match worker exited with code ${code}`)));
      this.workers.push(entry);
    }
  }
}

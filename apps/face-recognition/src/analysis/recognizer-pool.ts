import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { metrics } from '@visage/observability';
import { stopWorker } from '@visage/domain';
import { EngineResult } from '../engine/engine';
import { PoolRejection, RecognizerError, WorkerFailureKind } from '../recognizer-error';
import { FromWorker, ImageSource, ToWorker, WorkerFailure, WorkerSettings, WorkerStats } from '../engine/protocol';

/** The pool could not run the job (overload, deadline, shutdown): never the image's fault. */
export class PoolError extends RecognizerError<PoolRejection> {}

/** The worker ran the job and the image (or file) was the problem. */
export class AnalysisFailedError extends RecognizerError<WorkerFailureKind> {
  constructor(readonly failure: WorkerFailure) {
    super(failure.kind, failure.message);
  }
}

export interface PoolOptions {
  /** 0 = one per core. */
  workers: number;
  /** Jobs waiting for a worker; one more is refused with `queue_full`. */
  queueSize: number;
  settings: WorkerSettings;
  /** Override the worker script (tests). */
  workerFile?: string;
}

export interface JobOptions {
  /** Epoch ms after which the caller no longer wants the answer. */
  deadline?: number;
  signal?: AbortSignal;
}

export interface AnalysisOutput {
  result: EngineResult;
  elapsedMs: number;
}

interface Job {
  source: ImageSource;
  includeLandmarks: boolean;
  deadline?: number;
  resolve(output: AnalysisOutput): void;
  reject(error: Error): void;
  cleanup(): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  jobId?: number;
  statsWaiters: Map<number, (stats: WorkerStats) => void>;
}

/** The worker script next to this build: `.ts` under Vitest/tsx, `.js` from dist. */
export function defaultWorkerFile(): string {
  const extension = __filename.endsWith('.ts') ? '.ts' : '.js';
  return join(__dirname, '..', 'engine', `analysis.worker${extension}`);
}

/**
 * Worker threads, each with its own model instance, fed from one bounded FIFO queue. Jobs whose deadline passes
 * (or whose caller cancels) leave the queue at once; a job already running is finished and its answer dropped,
 * as WASM inference cannot be interrupted. A crashed worker fails its job and is replaced.
 */
export class RecognizerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private started = false;
  private readyPromise?: Promise<void>;
  private readyEngine?: string;
  private faceApi?: string;
  private fallback?: string;
  private busyTotalMs = 0;
  readonly size: number;

  constructor(private readonly options: PoolOptions) {
    this.size = options.workers > 0 ? options.workers : availableParallelism();
  }

  /** Spawns the workers; resolves when every one has loaded and warmed its models. */
  start(): Promise<void> {
    this.readyPromise ??= Promise.all(Array.from({ length: this.size }, () => this.spawn())).then(() => {
      this.started = true;
    });
    return this.readyPromise;
  }

  /** Every worker loaded once, and at least one is serving now (a crashed one is being replaced). */
  get ready(): boolean {
    return this.started && !this.closed && this.slots.some((slot) => slot.ready);
  }

  get engine(): string | undefined {
    return this.readyEngine;
  }

  /** Why `FACE_ENGINE=auto` runs TensorFlow.js instead of ONNX Runtime, if it does. */
  get fallbackReason(): string | undefined {
    return this.fallback;
  }

  get faceApiVersion(): string | undefined {
    return this.faceApi;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Jobs running on workers now. */
  get running(): number {
    return this.slots.filter((slot) => slot.job).length;
  }

  /** Worker milliseconds spent on finished analyses since start. */
  get busyMs(): number {
    return this.busyTotalMs;
  }

  analyze(source: ImageSource, includeLandmarks: boolean, options: JobOptions = {}): Promise<AnalysisOutput> {
    if (this.closed) return Promise.reject(new PoolError('closed', 'the recognizer is shutting down'));
    if (!this.ready) return Promise.reject(new PoolError('not_ready', 'models are still loading'));
    if (options.deadline !== undefined && options.deadline <= Date.now()) {
      return Promise.reject(new PoolError('deadline_exceeded', 'deadline already passed'));
    }
    if (options.signal?.aborted) return Promise.reject(new PoolError('cancelled', 'cancelled by the caller'));
    const idle = this.slots.some((slot) => slot.ready && !slot.job);
    if (!idle && this.queue.length >= this.options.queueSize) {
      return Promise.reject(new PoolError('queue_full', `${this.queue.length} images already waiting; retry later`));
    }
    return new Promise<AnalysisOutput>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leaveQueue = (error: PoolError) => {
        const index = this.queue.indexOf(job);
        if (index >= 0) {
          this.queue.splice(index, 1);
          job.cleanup();
          reject(error);
        }
      };
      const onAbort = () => leaveQueue(new PoolError('cancelled', 'cancelled by the caller'));
      const job: Job = {
        source,
        includeLandmarks,
        deadline: options.deadline,
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      if (options.deadline !== undefined) {
        timer = setTimeout(() => leaveQueue(new PoolError('deadline_exceeded', 'deadline passed while queued')), options.deadline - Date.now());
        timer.unref();
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Tensor and memory counters of every worker. */
  async stats(): Promise<WorkerStats[]> {
    return Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<WorkerStats>((resolve) => {
            const id = this.nextId++;
            slot.statsWaiters.set(id, resolve);
            slot.worker.postMessage({ type: 'stats', id } satisfies ToWorker);
          }),
      ),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      job.cleanup();
      job.reject(new PoolError('closed', 'the recognizer is shutting down'));
    }
    // Each worker disposes its engine (native ONNX Runtime sessions) before its thread ends; see stopWorker.
    await Promise.all(
      this.slots.splice(0).map((slot) => stopWorker(slot.worker, () => slot.worker.postMessage({ type: 'close' } satisfies ToWorker))),
    );
  }

  private spawn(): Promise<void> {
    const file = this.options.workerFile ?? defaultWorkerFile();
    // Under Vitest the worker is TypeScript source: a one-line CommonJS bootstrap registers tsx's require hook
    // first (`execArgv: ['--import', 'tsx']` does not reach a worker started from Vitest's forked runner).
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: this.options.settings })
      : new Worker(file, { workerData: this.options.settings });
    const slot: Slot = { worker, ready: false, statsWaiters: new Map() };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            slot.ready = true;
            this.readyEngine = message.engine;
            this.faceApi = message.faceApiVersion;
            this.fallback = message.fallbackReason;
            resolve();
            this.dispatch();
            return;
          case 'init_failed':
            reject(new Error(`recognizer worker failed to load its models: ${message.message}`));
            // Not awaited: the rejection above is the answer; the thread ends in the background.
            void worker.terminate();
            return;
          case 'stats':
            slot.statsWaiters.get(message.id)?.(message.stats);
            slot.statsWaiters.delete(message.id);
            return;
          case 'analysis':
            this.finish(slot, message);
            return;
        }
      });
      worker.on('error', (error) => {
        if (!slot.ready) reject(error);
        this.failSlot(slot, `recognizer worker crashed: ${error.message}`);
      });
      worker.on('exit', (code) => {
        if (!slot.ready) reject(new Error(`recognizer worker exited with code ${code} while loading`));
        this.failSlot(slot, `recognizer worker exited with code ${code}`);
      });
    });
  }

  private failSlot(slot: Slot, message: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    const job = slot.job;
    slot.job = undefined;
    if (job) job.reject(new PoolError('worker_failed', message));
    // Replace a worker that died in service; one that never loaded would only fail again.
    if (!this.closed && slot.ready) {
      this.spawn().catch(() => undefined);
    }
  }

  private finish(slot: Slot, message: Extract<FromWorker, { type: 'analysis' }>): void {
    const job = slot.job;
    if (!job || slot.jobId !== message.id) return;
    slot.job = undefined;
    slot.jobId = undefined;
    if (message.ok) {
      this.busyTotalMs += message.elapsedMs;
      for (const [stage, ms] of Object.entries(message.stageMs)) metrics.recognizerStageSeconds.observe({ stage }, ms / 1000);
      job.resolve({ result: message.result, elapsedMs: message.elapsedMs });
    } else job.reject(new AnalysisFailedError(message.failure));
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const job = this.takeLiveJob();
      if (!job) return;
      job.cleanup();
      const id = this.nextId++;
      slot.job = job;
      slot.jobId = id;
      slot.worker.postMessage({ type: 'analyze', id, source: job.source, includeLandmarks: job.includeLandmarks } satisfies ToWorker);
    }
  }

  private takeLiveJob(): Job | undefined {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      if (job.deadline === undefined || job.deadline > Date.now()) return job;
      job.cleanup();
      job.reject(new PoolError('deadline_exceeded', 'deadline passed while queued'));
    }
    return undefined;
  }
}

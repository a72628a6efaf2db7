import { EngineResult, StageTimings } from './face-engine';
import { ImageProblem } from './image-decoder';
import { BackendPreference } from './runtime';

/** Messages between the pool (main thread) and an analysis worker. Plain data: structured-cloned or transferred. */
export interface WorkerSettings {
  backend: BackendPreference;
  minScore: number;
  maxPixels: number;
}

export type ImageSource = { path: string } | { content: Uint8Array };

export type ToWorker =
  | { type: 'analyze'; id: number; source: ImageSource; includeLandmarks: boolean }
  | { type: 'stats'; id: number };

export interface WorkerStats {
  numTensors: number;
  numBytes: number;
  /** Bytes of the WASM heap (grows, never shrinks); 0 on the native backend. */
  wasmHeapBytes: number;
  heapUsed: number;
  rss: number;
  analysed: number;
}

export type WorkerFailure =
  | { kind: 'invalid_image'; reason: ImageProblem; message: string }
  | { kind: 'not_found'; message: string }
  | { kind: 'internal'; message: string };

export type FromWorker =
  | { type: 'ready'; backend: string; faceApiVersion: string }
  | { type: 'init_failed'; message: string }
  | { type: 'analysis'; id: number; ok: true; result: EngineResult; elapsedMs: number; stageMs: StageTimings }
  | { type: 'analysis'; id: number; ok: false; failure: WorkerFailure }
  | { type: 'stats'; id: number; stats: WorkerStats };

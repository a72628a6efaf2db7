import { DescriptorRecipe } from '@visage/domain';
import { EngineMemory, EngineResult, EnginePreference, StageTimings } from './engine';
import { ImageProblem } from '../recognizer-error';

/** Messages between the pool (main thread) and an analysis worker. Plain data: structured-cloned or transferred. */
export interface WorkerSettings {
  engine: EnginePreference;
  /** ONNX Runtime intra-op threads per worker. */
  engineThreads: number;
  minScore: number;
  /** FACE_DESCRIPTOR_RECIPE. */
  recipe: DescriptorRecipe;
  maxPixels: number;
}

export type ImageSource = { path: string } | { content: Uint8Array };

export type ToWorker =
  | { type: 'analyze'; id: number; source: ImageSource; includeLandmarks: boolean }
  | { type: 'stats'; id: number }
  /** Dispose the engine (native sessions) once the analysis in hand is done, then end the thread. */
  | { type: 'close' };

export interface WorkerStats extends EngineMemory {
  heapUsed: number;
  rss: number;
  analysed: number;
}

export type WorkerFailure =
  { kind: 'invalid_image'; reason: ImageProblem; message: string } | { kind: 'not_found'; message: string } | { kind: 'internal'; message: string };

export type FromWorker =
  | { type: 'ready'; engine: string; faceApiVersion: string; fallbackReason?: string }
  | { type: 'init_failed'; message: string }
  | { type: 'analysis'; id: number; ok: true; result: EngineResult; elapsedMs: number; stageMs: StageTimings }
  | { type: 'analysis'; id: number; ok: false; failure: WorkerFailure }
  | { type: 'stats'; id: number; stats: WorkerStats };

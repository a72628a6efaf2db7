import { describeError, DescriptorRecipe, FaceQualityInputs } from '@visage/domain';
import { DecodedImage } from './image-decoder';

/** `onnx`: face-api's networks on ONNX Runtime. `wasm` / `tensorflow`: face-api on TensorFlow.js (WASM / tfjs-node). */
export type EngineName = 'onnx' | 'wasm' | 'tensorflow';
/** `auto`: ONNX Runtime where it loads, else TensorFlow.js (tfjs-node when installed, WASM otherwise). */
export type EnginePreference = 'auto' | EngineName;

export interface EngineFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  descriptor: Float32Array;
  landmarks?: Array<{ x: number; y: number }>;
  quality: FaceQualityInputs;
}

export interface EngineResult {
  width: number;
  height: number;
  faces: EngineFace[];
  /** How the descriptors were computed. */
  recipe: DescriptorRecipe;
}

/** Tensor bookkeeping of an engine; TensorFlow.js counts tensors and its WASM heap, ONNX Runtime reports none. */
export interface EngineMemory {
  numTensors: number;
  numBytes: number;
  /** Bytes of the WASM heap (grows, never shrinks); 0 on native engines. */
  wasmHeapBytes: number;
}

/**
 * Milliseconds per stage of one analysis (`visage_recognizer_stage_seconds`): decode (worker), detect (SSD),
 * landmarks (the 68-point net and alignment, all faces at once), describe (the descriptor net, all faces at once).
 */
export type StageTimings = Partial<Record<'decode' | 'detect' | 'landmarks' | 'describe', number>>;

/** One model instance (one per worker thread): detection, 68 landmarks, alignment and the recipe's descriptors (128 or 512 floats). */
export interface RecognitionEngine {
  readonly name: EngineName;
  readonly faceApiVersion: string;
  readonly recipe: DescriptorRecipe;
  /** Fills `timings` (when given) with the stages it ran. */
  analyze(decoded: DecodedImage, includeLandmarks: boolean, timings?: StageTimings): Promise<EngineResult>;
  memory(): EngineMemory;
  dispose(): Promise<void>;
}

export interface EngineOptions {
  engine: EnginePreference;
  minScore: number;
  /** ONNX Runtime intra-op threads per engine (per worker). */
  threads: number;
  /** What the descriptor net is fed (FACE_DESCRIPTOR_RECIPE). */
  recipe: DescriptorRecipe;
  modelDir?: string;
}

export interface CreatedEngine {
  engine: RecognitionEngine;
  /** Why `auto` did not get ONNX Runtime, when it fell back. */
  fallbackReason?: string;
}

/** How each engine is loaded; `require`d lazily, so a worker on ONNX never loads TensorFlow.js and the reverse. */
export interface EngineLoaders {
  onnx(options: EngineOptions): Promise<RecognitionEngine>;
  tfjs(options: EngineOptions, backend: 'auto' | 'wasm' | 'tensorflow'): Promise<RecognitionEngine>;
}

const ENGINE_LOADERS: EngineLoaders = {
  onnx: (options) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when this engine is chosen
    const { OnnxFaceEngine } = require('./onnx/onnx-face-engine') as typeof import('./onnx/onnx-face-engine');
    return OnnxFaceEngine.create(options);
  },
  tfjs: (options, backend) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when this engine is chosen
    const { FaceEngine } = require('./face-engine') as typeof import('./face-engine');
    return FaceEngine.create({ backend, minScore: options.minScore, recipe: options.recipe, modelDir: options.modelDir });
  },
};

/**
 * Loads the requested engine. `auto` tries ONNX Runtime first and falls back to TensorFlow.js (tfjs-node when
 * installed, else WASM), reporting why; an explicit `onnx` that does not load fails the worker's start.
 */
export async function createEngine(options: EngineOptions, loaders: EngineLoaders = ENGINE_LOADERS): Promise<CreatedEngine> {
  if (options.engine === 'onnx' || options.engine === 'auto') {
    try {
      return { engine: await loaders.onnx(options) };
    } catch (error) {
      if (options.engine === 'onnx') throw error;
      const fallbackReason = `ONNX Runtime did not load (${describeError(error)})`;
      return { engine: await loaders.tfjs(options, 'auto'), fallbackReason };
    }
  }
  return { engine: await loaders.tfjs(options, options.engine) };
}

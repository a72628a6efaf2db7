/**
 * The face dump: every photo of a `<Person>/<photo>` folder through the recognizer's own engine, in this process
 * (the engine FACE_ENGINE picks, MIN_DETECTION_SCORE, the worker's decoding and working size), written as JSON so
 * that matching and grouping can be evaluated again in seconds without re-running the nets.
 */
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { VisageConfig } from '@visage/config';
import { padDescriptor } from '@visage/domain';
import { createEngine, EngineLoaders, RecognitionEngine } from '../../apps/face-recognition/src/engine/engine';
import { FaceEngine } from '../../apps/face-recognition/src/engine/face-engine';
import { OnnxFaceEngine } from '../../apps/face-recognition/src/engine/onnx/onnx-face-engine';
import { RETRY_CANVAS_SCALES } from '../../apps/face-recognition/src/engine/face-pipeline';
import { decodeImage, ImageDecodeError } from '../../apps/face-recognition/src/engine/image-decoder';

export interface DumpBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DumpFace {
  /** Pixels of the original (upright) image. */
  box: DumpBox;
  score: number;
  descriptor: number[];
  landmarks: Array<{ x: number; y: number }>;
  /**
   * The face described again under small jitters of dlib's chip (`bench:variants`, `JITTERS` × {as is, mirrored}):
   * absent from the recognizer's own dumps. `bench:open-set` averages or enrols them (TTA, ENROL_TTA, ENROL_ROWS).
   */
  variants?: number[][];
}

export interface DumpPhoto {
  /** The photo's folder under the root: the person of `<Person>/<photo>` folders. */
  person: string;
  /** Relative to the dump's root. */
  file: string;
  width: number;
  height: number;
  faces: DumpFace[];
  /** Why the recognizer refused the photo (`corrupt: …`); absent when it was analysed. */
  error?: string;
}

export interface FaceDump {
  engine: string;
  generatedAt: string;
  root: string;
  photos: DumpPhoto[];
}

/** Files that describe a labelled folder rather than being photos of it. */
const NOT_PHOTOS = new Set(['labels.json', 'SOURCES.md', 'README.md', 'LICENSE', '.DS_Store']);

/** Every `<folder>/<file>` under `root`, sorted (person, then file), so two dumps of one folder line up. */
export function listPhotos(root: string): Array<{ person: string; file: string }> {
  const photos: Array<{ person: string; file: string }> = [];
  for (const person of readdirSync(root).sort()) {
    const folder = join(root, person);
    if (!statSync(folder).isDirectory()) continue;
    for (const name of readdirSync(folder).sort()) {
      if (NOT_PHOTOS.has(name) || !statSync(join(folder, name)).isFile()) continue;
      photos.push({ person, file: relative(root, join(folder, name)) });
    }
  }
  return photos;
}

/**
 * The engines createEngine's own loaders load, imported statically: its lazy `require` of TypeScript files works
 * under tsx but not under Vitest, which runs the labelled identity test.
 */
const STATIC_LOADERS: EngineLoaders = {
  onnx: (options) => OnnxFaceEngine.create(options),
  tfjs: (options, backend) => FaceEngine.create({ backend, minScore: options.minScore, recipe: options.recipe, modelDir: options.modelDir }),
};

/** The recognizer's engine with the recognizer's settings, chosen as an analysis worker chooses it. */
export async function createRecognizerEngine(config: VisageConfig): Promise<RecognitionEngine> {
  const { engine } = await createEngine(
    { engine: config.FACE_ENGINE, threads: config.FACE_ENGINE_THREADS, minScore: config.MIN_DETECTION_SCORE, recipe: config.FACE_DESCRIPTOR_RECIPE },
    STATIC_LOADERS,
  );
  return engine;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** One photo as the worker analyses it: decoded by content with the worker's limits, landmarks included. */
export async function analyzePhoto(
  engine: RecognitionEngine,
  config: VisageConfig,
  root: string,
  photo: { person: string; file: string },
): Promise<DumpPhoto> {
  try {
    const decoded = await decodeImage(readFileSync(join(root, photo.file)), { maxPixels: config.MAX_IMAGE_PIXELS });
    const result = await engine.analyze(decoded, true);
    return {
      ...photo,
      width: result.width,
      height: result.height,
      faces: result.faces.map((face) => ({
        box: { x: round(face.box.x, 2), y: round(face.box.y, 2), width: round(face.box.width, 2), height: round(face.box.height, 2) },
        score: round(face.score, 5),
        // Seven digits keep float32 precision (distances agree to 1e-7), at half the JSON size.
        descriptor: Array.from(face.descriptor, (value) => round(value, 7)),
        landmarks: (face.landmarks ?? []).map(({ x, y }) => ({ x: round(x, 2), y: round(y, 2) })),
      })),
    };
  } catch (error) {
    if (!(error instanceof ImageDecodeError)) throw error;
    return { ...photo, width: 0, height: 0, faces: [], error: error.message };
  }
}

/** Analyses every photo of `root`; `progress` is told after each one. */
export async function dumpFaces(config: VisageConfig, root: string, progress?: (done: number, total: number) => void): Promise<FaceDump> {
  const engine = await createRecognizerEngine(config);
  try {
    const list = listPhotos(root);
    const photos: DumpPhoto[] = [];
    for (const photo of list) {
      photos.push(await analyzePhoto(engine, config, root, photo));
      progress?.(photos.length, list.length);
    }
    return {
      engine: `${engine.name} (face-api ${engine.faceApiVersion}, MIN_DETECTION_SCORE ${config.MIN_DETECTION_SCORE}, retry canvases ${RETRY_CANVAS_SCALES.join('/')}×)`,
      generatedAt: new Date().toISOString(),
      root,
      photos,
    };
  } finally {
    await engine.dispose();
  }
}

/** Written to a temporary file then renamed: a reader never sees half a dump. */
export function writeDump(dump: FaceDump, path: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(dump));
  renameSync(temporary, path);
}

export function readDump(path: string): FaceDump {
  return JSON.parse(readFileSync(path, 'utf8')) as FaceDump;
}

/**
 * A dumped descriptor as the matcher holds it: the net's floats (128 for FaceRecognitionNet's recipes, 512 for
 * mobilefacenet), zero-padded to DESCRIPTOR_LENGTH as the gRPC client pads them.
 */
export function dumpDescriptor(values: readonly number[]): Float32Array {
  return padDescriptor(Float32Array.from(values));
}

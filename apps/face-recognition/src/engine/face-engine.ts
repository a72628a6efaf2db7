import { DecodedImage } from './image-decoder';
import { FaceApi, FaceApiBox, Tensor3D, Tf } from './face-api.types';
import { clipBox, cropPixels, RgbImage } from './pixels';
import { BackendName, BackendPreference, loadFaceModels, loadFaceRuntime } from './runtime';
import { SsdDetector } from './ssd-detector';

export interface EngineFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  descriptor: Float32Array;
  landmarks?: Array<{ x: number; y: number }>;
}

export interface EngineResult {
  width: number;
  height: number;
  faces: EngineFace[];
}

/** Milliseconds per stage of one analysis, filled by the engine and the worker (`/metrics` stage times). */
export type StageTimings = Partial<Record<'decode' | 'detect' | 'landmarks' | 'describe', number>>;

export interface FaceEngineOptions {
  backend?: BackendPreference;
  minScore: number;
  modelDir?: string;
}

/**
 * One model instance (one per worker thread): SSD detection, 68 landmarks, dlib-style alignment and
 * FaceRecognitionNet descriptors, as face-api's `detectAllFaces().withFaceLandmarks().withFaceDescriptors()`
 * but with all faces of an image batched through each net and every tensor disposed.
 */
export class FaceEngine {
  private constructor(
    private readonly faceapi: FaceApi,
    readonly tf: Tf,
    readonly backend: BackendName,
    private readonly detector: SsdDetector,
    private readonly minScore: number,
  ) {}

  static async create(options: FaceEngineOptions): Promise<FaceEngine> {
    const runtime = await loadFaceRuntime(options.backend);
    await loadFaceModels(runtime.faceapi, options.modelDir);
    const params = runtime.faceapi.nets.ssdMobilenetv1.params;
    if (!params) throw new Error('SSD MobileNetV1 weights did not load');
    const engine = new FaceEngine(runtime.faceapi, runtime.tf, runtime.backend, new SsdDetector(runtime.tf, params), options.minScore);
    await engine.warmUp();
    return engine;
  }

  get faceApiVersion(): string {
    return this.faceapi.version;
  }

  /** The first run of each net compiles kernels and allocates; do it before reporting SERVING. */
  private async warmUp(): Promise<void> {
    const image: RgbImage = { pixels: new Uint8Array(SSD_WARMUP_SIZE * SSD_WARMUP_SIZE * 3).fill(128), width: SSD_WARMUP_SIZE, height: SSD_WARMUP_SIZE };
    await this.detector.detect(image, this.minScore);
    await this.describe(image, [new this.faceapi.Rect(64, 64, 256, 256)], false);
  }

  async analyze(decoded: DecodedImage, includeLandmarks: boolean, timings: StageTimings = {}): Promise<EngineResult> {
    const image: RgbImage = { pixels: decoded.pixels, width: decoded.workingWidth, height: decoded.workingHeight };
    const detectStarted = performance.now();
    const detections = await this.detector.detect(image, this.minScore);
    timings.detect = performance.now() - detectStarted;
    const boxes = detections
      .map((detection) => ({ detection, box: new this.faceapi.Rect(detection.x, detection.y, detection.width, detection.height) }))
      .filter(({ box }) => clippedArea(box, image.width, image.height) > 0);
    const described = await this.describe(image, boxes.map(({ box }) => box), includeLandmarks, timings);
    const scaleX = decoded.width / decoded.workingWidth;
    const scaleY = decoded.height / decoded.workingHeight;
    const faces = boxes.flatMap(({ detection }, index) => {
      const face = described[index];
      return face ? [{ detection, face }] : [];
    });
    return {
      width: decoded.width,
      height: decoded.height,
      faces: faces.map(({ detection, face }) => ({
        box: {
          x: detection.x * scaleX,
          y: detection.y * scaleY,
          width: detection.width * scaleX,
          height: detection.height * scaleY,
        },
        score: detection.score,
        descriptor: face.descriptor,
        ...(includeLandmarks ? { landmarks: face.landmarks.map(({ x, y }) => ({ x: x * scaleX, y: y * scaleY })) } : {}),
      })),
    };
  }

  /** face-api's `extractFaceTensors`, cut from the RGB buffer: int32 crops of the clipped, floored boxes. */
  private crops(image: RgbImage, boxes: FaceApiBox[]): Tensor3D[] {
    return boxes.map((box) => {
      const clipped = clipBox(box, image.width, image.height);
      return this.tf.tensor3d(cropPixels(image, clipped), [clipped.height, clipped.width, 3], 'int32');
    });
  }

  private async describe(
    image: RgbImage,
    boxes: FaceApiBox[],
    keepLandmarks: boolean,
    timings: StageTimings = {},
  ): Promise<Array<DescribedFace | undefined>> {
    if (boxes.length === 0) return [];
    const nets = this.faceapi.nets;
    const landmarksStarted = performance.now();
    const crops = this.crops(image, boxes);
    let landmarks;
    try {
      landmarks = await nets.faceLandmark68Net.detectLandmarks(crops);
    } finally {
      this.tf.dispose(crops);
    }
    const describeStarted = performance.now();
    timings.landmarks = describeStarted - landmarksStarted;
    const shifted = landmarks.map((points, index) => points.shiftBy(boxes[index].x, boxes[index].y));
    const aligned = shifted.map((points) => points.align(null, { useDlibAlignment: true }));
    // A face at the very edge can align to a box outside the image; it cannot be described, so it is left out.
    const describable = aligned.map((_box, index) => index).filter((index) => clippedArea(aligned[index], image.width, image.height) > 0);
    const alignedCrops = this.crops(image, describable.map((index) => aligned[index]));
    let descriptors: Float32Array[];
    try {
      descriptors = describable.length > 0 ? await nets.faceRecognitionNet.computeFaceDescriptor(alignedCrops) : [];
    } finally {
      this.tf.dispose(alignedCrops);
    }
    timings.describe = performance.now() - describeStarted;
    const results: Array<DescribedFace | undefined> = boxes.map(() => undefined);
    describable.forEach((faceIndex, position) => {
      results[faceIndex] = {
        descriptor: descriptors[position],
        landmarks: keepLandmarks ? shifted[faceIndex].positions.map(({ x, y }) => ({ x, y })) : [],
      };
    });
    return results;
  }

  dispose(): void {
    this.detector.dispose();
  }
}

const SSD_WARMUP_SIZE = 384;

interface DescribedFace {
  descriptor: Float32Array;
  landmarks: Array<{ x: number; y: number }>;
}

function clippedArea(box: FaceApiBox, width: number, height: number): number {
  const clipped = clipBox(box, width, height);
  return clipped.width > 0 && clipped.height > 0 ? clipped.width * clipped.height : 0;
}

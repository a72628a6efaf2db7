import { DecodedImage } from './image-decoder';
import { FaceApi, FaceApiBox, Tensor3D, Tf } from './face-api.types';
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
    const tf = this.tf;
    const image = tf.fill([SSD_WARMUP_SIZE, SSD_WARMUP_SIZE, 3], 128, 'int32') as Tensor3D;
    try {
      await this.detector.detect(image, this.minScore);
      await this.describe(image, [new this.faceapi.Rect(64, 64, 256, 256)], false);
    } finally {
      image.dispose();
    }
  }

  async analyze(image: DecodedImage, includeLandmarks: boolean): Promise<EngineResult> {
    const tensor = this.tf.tensor3d(image.pixels, [image.workingHeight, image.workingWidth, 3], 'int32');
    try {
      const detections = await this.detector.detect(tensor, this.minScore);
      const boxes = detections
        .map((detection) => ({ detection, box: new this.faceapi.Rect(detection.x, detection.y, detection.width, detection.height) }))
        .filter(({ box }) => clippedArea(box, image.workingWidth, image.workingHeight) > 0);
      const described = await this.describe(tensor, boxes.map(({ box }) => box), includeLandmarks);
      const scaleX = image.width / image.workingWidth;
      const scaleY = image.height / image.workingHeight;
      const faces = boxes.flatMap(({ detection }, index) => {
        const face = described[index];
        return face ? [{ detection, face }] : [];
      });
      return {
        width: image.width,
        height: image.height,
        faces: faces.map(({ detection, face }) => ({
          box: {
            x: detection.x * scaleX,
            y: detection.y * scaleY,
            width: detection.width * scaleX,
            height: detection.height * scaleY,
          },
          score: detection.score,
          descriptor: face.descriptor,
          ...(includeLandmarks
            ? { landmarks: face.landmarks.map(({ x, y }) => ({ x: x * scaleX, y: y * scaleY })) }
            : {}),
        })),
      };
    } finally {
      tensor.dispose();
    }
  }

  private async describe(
    image: Tensor3D,
    boxes: FaceApiBox[],
    keepLandmarks: boolean,
  ): Promise<Array<DescribedFace | undefined>> {
    if (boxes.length === 0) return [];
    const nets = this.faceapi.nets;
    const crops = await this.faceapi.extractFaceTensors(image, boxes);
    let landmarks;
    try {
      landmarks = await nets.faceLandmark68Net.detectLandmarks(crops);
    } finally {
      this.tf.dispose(crops);
    }
    const shifted = landmarks.map((points, index) => points.shiftBy(boxes[index].x, boxes[index].y));
    const aligned = shifted.map((points) => points.align(null, { useDlibAlignment: true }));
    // A face at the very edge can align to a box outside the image; it cannot be described, so it is left out.
    const [width, height] = [image.shape[1], image.shape[0]];
    const describable = aligned.map((_box, index) => index).filter((index) => clippedArea(aligned[index], width, height) > 0);
    const alignedCrops = await this.faceapi.extractFaceTensors(image, describable.map((index) => aligned[index]));
    let descriptors: Float32Array[];
    try {
      descriptors = describable.length > 0 ? await nets.faceRecognitionNet.computeFaceDescriptor(alignedCrops) : [];
    } finally {
      this.tf.dispose(alignedCrops);
    }
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
  const left = Math.max(0, Math.floor(box.x));
  const top = Math.max(0, Math.floor(box.y));
  const right = Math.min(width, Math.floor(box.x + box.width));
  const bottom = Math.min(height, Math.floor(box.y + box.height));
  return Math.max(0, right - left) * Math.max(0, bottom - top);
}

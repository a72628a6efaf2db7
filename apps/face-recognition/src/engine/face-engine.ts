import { EngineMemory, EngineName, EngineResult, RecognitionEngine, StageTimings } from './engine';
import { FaceApi, FaceApiBox, Tensor3D, Tf } from './face-api.types';
import { analyzeWith, clippedArea, DescribedFace, FaceNets, warmUp } from './face-pipeline';
import { DecodedImage } from './image-decoder';
import { clipBox, cropPixels, RgbImage } from './pixels';
import { BackendName, BackendPreference, loadFaceModels, loadFaceRuntime } from './runtime';
import { Detection, SsdDetector } from './ssd-detector';

export interface FaceEngineOptions {
  backend?: BackendPreference;
  minScore: number;
  modelDir?: string;
}

/**
 * The TensorFlow.js engine (WASM or tfjs-node): SSD detection, 68 landmarks, dlib-style alignment and
 * FaceRecognitionNet descriptors, as face-api's `detectAllFaces().withFaceLandmarks().withFaceDescriptors()`
 * but with all faces of an image batched through each net and every tensor disposed.
 */
export class FaceEngine implements RecognitionEngine, FaceNets {
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
    await warmUp(engine);
    return engine;
  }

  get name(): EngineName {
    return this.backend;
  }

  get faceApiVersion(): string {
    return this.faceapi.version;
  }


  analyze(decoded: DecodedImage, includeLandmarks: boolean, timings?: StageTimings): Promise<EngineResult> {
    return analyzeWith(this, decoded, includeLandmarks, timings);
  }

  detect(image: RgbImage): Promise<Detection[]> {
    return this.detector.detect(image, this.minScore);
  }

  /** face-api's `extractFaceTensors`, cut from the RGB buffer: int32 crops of the clipped, floored boxes. */
  private crops(image: RgbImage, boxes: FaceApiBox[]): Tensor3D[] {
    return boxes.map((box) => {
      const clipped = clipBox(box, image.width, image.height);
      return this.tf.tensor3d(cropPixels(image, clipped), [clipped.height, clipped.width, 3], 'int32');
    });
  }

  async describe(image: RgbImage, boxes: FaceApiBox[], keepLandmarks: boolean, timings: StageTimings = {}): Promise<Array<DescribedFace | undefined>> {
    if (boxes.length === 0) return [];
    const started = performance.now();
    const nets = this.faceapi.nets;
    const crops = this.crops(image, boxes);
    let landmarks;
    try {
      landmarks = await nets.faceLandmark68Net.detectLandmarks(crops);
    } finally {
      this.tf.dispose(crops);
    }
    const shifted = landmarks.map((points, index) => points.shiftBy(boxes[index].x, boxes[index].y));
    const aligned = shifted.map((points) => points.align(null, { useDlibAlignment: true }));
    timings.landmarks = performance.now() - started;
    // A face at the very edge can align to a box outside the image; it cannot be described, so it is left out.
    const describable = aligned.map((_box, index) => index).filter((index) => clippedArea(aligned[index], image.width, image.height) > 0);
    const alignedCrops = this.crops(image, describable.map((index) => aligned[index]));
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

  memory(): EngineMemory {
    const { numTensors, numBytes } = this.tf.memory();
    const backend = this.tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
    return { numTensors, numBytes, wasmHeapBytes: backend.wasm?.HEAPU8?.byteLength ?? 0 };
  }

  async dispose(): Promise<void> {
    this.detector.dispose();
  }
}

import { DescriptorRecipe, RECIPE_DESCRIPTOR_LENGTH } from '@visage/domain';
import { EngineMemory, EngineName, EngineResult, RecognitionEngine, StageTimings } from './engine';
import { FaceApi, FaceApiBox, Tensor3D, Tf } from './face-api.types';
import { chipAndMirror, DLIB_CHIP_SIZE, meanOfPairs } from './face-chip';
import { analyzeWith, clippedArea, DescribedFace, FaceNets, warmUp } from './face-pipeline';
import { DecodedImage } from './image-decoder';
import { clipBox, cropPixels, RgbImage } from './pixels';
import { BackendName, BackendPreference, loadFaceModels, loadFaceRuntime } from './runtime';
import { Detection, SsdDetector } from './ssd-detector';

export interface FaceEngineOptions {
  backend?: BackendPreference;
  minScore: number;
  /** What the descriptor net is fed (FACE_DESCRIPTOR_RECIPE). */
  recipe: DescriptorRecipe;
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
    readonly recipe: DescriptorRecipe,
  ) {}

  static async create(options: FaceEngineOptions): Promise<FaceEngine> {
    if (options.recipe === 'mobilefacenet') {
      // Its net is an ONNX file: TensorFlow.js cannot run it, and computing another recipe would not match the gallery.
      throw new Error(
        'the mobilefacenet descriptor recipe runs on ONNX Runtime only (FACE_ENGINE=onnx or auto); on TensorFlow.js set FACE_DESCRIPTOR_RECIPE=chip-flip',
      );
    }
    const runtime = await loadFaceRuntime(options.backend);
    await loadFaceModels(runtime.faceapi, options.modelDir);
    const params = runtime.faceapi.nets.ssdMobilenetv1.params;
    if (!params) throw new Error('SSD MobileNetV1 weights did not load');
    const engine = new FaceEngine(
      runtime.faceapi,
      runtime.tf,
      runtime.backend,
      new SsdDetector(runtime.tf, params),
      options.minScore,
      options.recipe,
    );
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

  async describe(
    image: RgbImage,
    boxes: FaceApiBox[],
    keepLandmarks: boolean,
    timings: StageTimings = {},
  ): Promise<Array<DescribedFace | undefined>> {
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
    const descriptors =
      describable.length === 0
        ? []
        : await this.descriptors(
            image,
            describable.map((index) => ({ aligned: aligned[index], points: shifted[index].positions })),
          );
    const results: Array<DescribedFace | undefined> = boxes.map(() => undefined);
    describable.forEach((faceIndex, position) => {
      results[faceIndex] = {
        descriptor: descriptors[position],
        landmarks: keepLandmarks ? shifted[faceIndex].positions.map(({ x, y }) => ({ x, y })) : [],
      };
    });
    return results;
  }

  /** The faces' descriptors by the engine's recipe: face-api's aligned crop, or dlib's chip and its mirror averaged. */
  private async descriptors(
    image: RgbImage,
    faces: Array<{ aligned: FaceApiBox; points: Array<{ x: number; y: number }> }>,
  ): Promise<Float32Array[]> {
    const net = this.faceapi.nets.faceRecognitionNet;
    // face-api resizes each input to 150 px (a chip already is: unchanged) and normalises it as for a crop.
    const inputs =
      this.recipe === 'crop'
        ? this.crops(
            image,
            faces.map((face) => face.aligned),
          )
        : faces.flatMap((face) =>
            chipAndMirror(image, face.points).map((chip) => this.tf.tensor3d(chip, [DLIB_CHIP_SIZE, DLIB_CHIP_SIZE, 3], 'float32')),
          );
    let output: Float32Array[];
    try {
      output = await net.computeFaceDescriptor(inputs);
    } finally {
      this.tf.dispose(inputs);
    }
    if (this.recipe === 'crop') return output;
    const joined = new Float32Array(output.length * RECIPE_DESCRIPTOR_LENGTH.crop);
    output.forEach((descriptor, index) => joined.set(descriptor, index * RECIPE_DESCRIPTOR_LENGTH.crop));
    return meanOfPairs(joined, faces.length, RECIPE_DESCRIPTOR_LENGTH.crop);
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

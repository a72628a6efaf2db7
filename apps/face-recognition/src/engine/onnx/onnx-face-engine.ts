import { DescriptorRecipe, RECIPE_DESCRIPTOR_LENGTH } from '@visage/domain';
import * as ort from 'onnxruntime-node';
import { configureOnnxRuntime, ORT_LOG_SEVERITY_FATAL } from '@visage/onnx-graph';
import { chipAndMirror, meanOfPairs } from '../face-chip';
import { EngineMemory, EngineResult, RecognitionEngine, StageTimings } from '../engine';
import { analyzeWith, clippedArea, DescribedFace, FaceNets, warmUp } from '../face-pipeline';
import { DecodedImage } from '../image-decoder';
import { clipBox, PixelBox, RgbImage } from '../pixels';
import { faceApiModelDir, faceApiVersion, mobileFaceNetModelPath } from '../runtime';
import { decodeSsdOutput, Detection, SSD_INPUT_SIZE } from '../ssd-detector';
import { buildFaceApiGraphs, DESCRIPTOR_INPUT_SIZE, LANDMARK_INPUT_SIZE } from './face-api-graphs';
import { alignDlib, landmarkPositions } from './landmarks';
import { describeWithMobileFaceNet } from './mobilefacenet';
import { PlanarNormalisation, writePlanarChip, writePlanarSquare } from './planar-input';

export interface OnnxEngineOptions {
  minScore: number;
  /** Intra-op threads of each session (see docs/recognizer.md, "Threads"). */
  threads: number;
  /** What the descriptor net is fed (FACE_DESCRIPTOR_RECIPE). */
  recipe: DescriptorRecipe;
  modelDir?: string;
  /** The `mobilefacenet` recipe's ONNX file; default: the installed npm package's. */
  mobileFaceNetPath?: string;
}

/** face-api's input normalisations: SSD x / 127.5 - 1; landmark and recognition nets (x - mean) / 255. */
const SSD_NORMALISATION: PlanarNormalisation = { mean: [127.5, 127.5, 127.5], divisor: 127.5 };
export const FACE_NORMALISATION: PlanarNormalisation = { mean: [122.782, 117.001, 104.298], divisor: 255 };
const MAX_DETECTIONS = 100;
const MAX_FACES_PER_RUN = 16;
const FACE_API_DESCRIPTOR_LENGTH = RECIPE_DESCRIPTOR_LENGTH.crop;

/**
 * face-api's three networks on ONNX Runtime (CPU): graphs built in memory from face-api's own weights at start
 * (face-api-graphs.ts), run NCHW with ORT's full graph optimisation (conv + activation fusion, NCHWc layouts).
 * Pre- and post-processing are face-api's, in JS: pad + bilinear resize, anchor decoding + NMS, landmark mapping,
 * dlib alignment. The faces of an image go through the landmark net in one run, then the descriptor net in one run
 * (in runs of 16 when there are more).
 */
export class OnnxFaceEngine implements RecognitionEngine, FaceNets {
  readonly name = 'onnx' as const;
  readonly faceApiVersion = faceApiVersion();

  private constructor(
    private readonly ssd: ort.InferenceSession,
    private readonly landmarkNet: ort.InferenceSession,
    /** FaceRecognitionNet (`crop`, `chip-flip`) or MobileFaceNet (`mobilefacenet`). */
    private readonly descriptorNet: ort.InferenceSession,
    private readonly anchors: Float32Array,
    private readonly minScore: number,
    readonly recipe: DescriptorRecipe,
  ) {}

  static async create(options: OnnxEngineOptions): Promise<OnnxFaceEngine> {
    configureOnnxRuntime(ort);
    const graphs = buildFaceApiGraphs(options.modelDir ?? faceApiModelDir());
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // ORT's native logger writes past the app's JSON log (and names every removed initializer at its default level).
      logSeverityLevel: ORT_LOG_SEVERITY_FATAL,
    };
    const [ssd, landmarkNet, descriptorNet] = await Promise.all([
      ort.InferenceSession.create(graphs.ssd, sessionOptions),
      ort.InferenceSession.create(graphs.landmarks, sessionOptions),
      options.recipe === 'mobilefacenet'
        ? ort.InferenceSession.create(options.mobileFaceNetPath ?? mobileFaceNetModelPath(), sessionOptions)
        : ort.InferenceSession.create(graphs.descriptor, sessionOptions),
    ]);
    const engine = new OnnxFaceEngine(ssd, landmarkNet, descriptorNet, graphs.anchors, options.minScore, options.recipe);
    await warmUp(engine);
    return engine;
  }

  analyze(decoded: DecodedImage, includeLandmarks: boolean, timings?: StageTimings): Promise<EngineResult> {
    return analyzeWith(this, decoded, includeLandmarks, timings);
  }

  async detect(image: RgbImage): Promise<Detection[]> {
    const input = new Float32Array(3 * SSD_INPUT_SIZE * SSD_INPUT_SIZE);
    writePlanarSquare(image, { x: 0, y: 0, width: image.width, height: image.height }, SSD_INPUT_SIZE, false, SSD_NORMALISATION, input, 0);
    const outputs = await this.ssd.run({ image: new ort.Tensor('float32', input, [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]) });
    const side = Math.max(image.width, image.height);
    return decodeSsdOutput(
      this.anchors,
      outputs.box_encodings.data as Float32Array,
      outputs.class_logits.data as Float32Array,
      side,
      this.minScore,
      MAX_DETECTIONS,
    );
  }

  async describe(image: RgbImage, boxes: PixelBox[], keepLandmarks: boolean, timings: StageTimings = {}): Promise<Array<DescribedFace | undefined>> {
    if (boxes.length === 0) return [];
    const started = performance.now();
    // face-api's extractFaceTensors: the net sees the clipped, floored box; points are shifted by the raw box.
    const crops = boxes.map((box) => clipBox(box, image.width, image.height));
    const landmarkOutput = await this.runBatch(this.landmarkNet, crops.length, LANDMARK_INPUT_SIZE, 'landmarks', (index, input, offset) =>
      writePlanarSquare(image, crops[index], LANDMARK_INPUT_SIZE, true, FACE_NORMALISATION, input, offset),
    );
    const points = crops.map((crop, index) => landmarkPositions(landmarkOutput, index * 136, crop, boxes[index]));
    const aligned = points.map((facePoints, index) => alignDlib(facePoints, crops[index]));
    timings.landmarks = performance.now() - started;
    // A face at the very edge can align to a box outside the image; it cannot be described, so it is left out.
    const describable = aligned.map((_box, index) => index).filter((index) => clippedArea(aligned[index], image.width, image.height) > 0);
    const descriptors =
      describable.length === 0
        ? []
        : await this.descriptors(
            image,
            describable.map((index) => ({ aligned: aligned[index], points: points[index] })),
          );
    const results: Array<DescribedFace | undefined> = boxes.map(() => undefined);
    describable.forEach((faceIndex, position) => {
      results[faceIndex] = {
        descriptor: descriptors[position],
        landmarks: keepLandmarks ? points[faceIndex] : [],
      };
    });
    return results;
  }

  /**
   * The faces' descriptors by the engine's recipe: face-api's aligned crop, dlib's chip and its mirror averaged, or
   * MobileFaceNet on the ArcFace alignment. Each has its net's length (128 or 512 floats), which is what goes on the wire.
   */
  private async descriptors(image: RgbImage, faces: Array<{ aligned: PixelBox; points: Array<{ x: number; y: number }> }>): Promise<Float32Array[]> {
    const size = DESCRIPTOR_INPUT_SIZE;
    if (this.recipe === 'mobilefacenet') {
      const descriptors: Float32Array[] = [];
      for (const face of faces) descriptors.push(await describeWithMobileFaceNet(this.descriptorNet, ort.Tensor, image, face.points));
      return descriptors;
    }
    if (this.recipe === 'crop') {
      const crops = faces.map((face) => clipBox(face.aligned, image.width, image.height));
      const output = await this.runBatch(this.descriptorNet, crops.length, size, 'descriptors', (index, input, offset) =>
        writePlanarSquare(image, crops[index], size, true, FACE_NORMALISATION, input, offset),
      );
      return faces.map((_face, index) => output.slice(index * FACE_API_DESCRIPTOR_LENGTH, (index + 1) * FACE_API_DESCRIPTOR_LENGTH));
    }
    const chips = faces.flatMap((face) => chipAndMirror(image, face.points));
    const output = await this.runBatch(this.descriptorNet, chips.length, size, 'descriptors', (index, input, offset) =>
      writePlanarChip(chips[index], size, FACE_NORMALISATION, input, offset),
    );
    return meanOfPairs(output, faces.length, FACE_API_DESCRIPTOR_LENGTH);
  }

  /**
   * `count` inputs through one net, up to {@link MAX_FACES_PER_RUN} per run, each written by `write` as NCHW planes at
   * `offset`. ORT's memory arena keeps what its largest run needed, so an unbounded batch (a 100-face crowd) would pin
   * ≈ 300 MB in the worker for good; 16 keep ≈ 40 MB. (A `chip-flip` face is two inputs, so eight faces a run.)
   */
  private async runBatch(
    session: ort.InferenceSession,
    count: number,
    size: number,
    output: string,
    write: (index: number, input: Float32Array, offset: number) => void,
  ): Promise<Float32Array> {
    const plane = 3 * size * size;
    const results: Float32Array[] = [];
    for (let start = 0; start < count; start += MAX_FACES_PER_RUN) {
      const length = Math.min(MAX_FACES_PER_RUN, count - start);
      const input = new Float32Array(length * plane);
      for (let index = 0; index < length; index++) write(start + index, input, index * plane);
      const outputs = await session.run({ faces: new ort.Tensor('float32', input, [length, 3, size, size]) });
      results.push(outputs[output].data as Float32Array);
    }
    if (results.length === 1) return results[0];
    const joined = new Float32Array(results.reduce((total, part) => total + part.length, 0));
    let offset = 0;
    for (const part of results) {
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  }

  memory(): EngineMemory {
    return { numTensors: 0, numBytes: 0, wasmHeapBytes: 0 };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.ssd.release(), this.landmarkNet.release(), this.descriptorNet.release()]);
  }
}

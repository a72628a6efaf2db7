import { DescriptorRecipe } from '@visage/domain';
import { EngineResult, StageTimings } from './engine';
import { faceQualityInputs } from './face-quality';
import { DecodedImage } from './image-decoder';
import { centreOnCanvas, clipBox, fromCanvas, PixelBox, RgbImage } from './pixels';
import { Detection, SSD_INPUT_SIZE } from './ssd-detector';

export interface DescribedFace {
  descriptor: Float32Array;
  /** 68 points in pixels of the working image; empty unless asked for. */
  landmarks: Array<{ x: number; y: number }>;
}

/** The networks of one engine: SSD detection, then landmarks + alignment + descriptor for all faces at once. */
export interface FaceNets {
  /** What `describe` feeds the descriptor net. */
  readonly recipe: DescriptorRecipe;
  detect(image: RgbImage): Promise<Detection[]>;
  /**
   * One entry per box, in order; `undefined` for a face that cannot be described (aligned box off the image).
   * Sets `timings.landmarks` to the time the landmark net and alignment took (0 without faces).
   */
  describe(image: RgbImage, boxes: PixelBox[], keepLandmarks: boolean, timings?: StageTimings): Promise<Array<DescribedFace | undefined>>;
}

/**
 * face-api's `detectAllFaces().withFaceLandmarks().withFaceDescriptors()` on the working-size pixels, with boxes and
 * landmarks scaled back to the original image, and each face's quality inputs (size, score, sharpness, pose).
 * Shared by every engine, so they differ only in how the nets run.
 */
export async function analyzeWith(
  nets: FaceNets,
  decoded: DecodedImage,
  includeLandmarks: boolean,
  timings: StageTimings = {},
): Promise<EngineResult> {
  const image: RgbImage = { pixels: decoded.pixels, width: decoded.workingWidth, height: decoded.workingHeight };
  const detectStarted = performance.now();
  const detections = await detectFaces(nets, image);
  const describeStarted = performance.now();
  timings.detect = describeStarted - detectStarted;
  timings.landmarks = 0;
  // Landmarks are always kept: the pose of the quality judgement is read from them.
  const described = await nets.describe(image, detections, true, timings);
  timings.describe = performance.now() - describeStarted - timings.landmarks;
  const scaleX = decoded.width / decoded.workingWidth;
  const scaleY = decoded.height / decoded.workingHeight;
  return {
    width: decoded.width,
    height: decoded.height,
    recipe: nets.recipe,
    faces: detections.flatMap((detection, index) => {
      const face = described[index];
      if (!face) return [];
      return [
        {
          box: { x: detection.x * scaleX, y: detection.y * scaleY, width: detection.width * scaleX, height: detection.height * scaleY },
          score: detection.score,
          descriptor: face.descriptor,
          ...(includeLandmarks ? { landmarks: face.landmarks.map(({ x, y }) => ({ x: x * scaleX, y: y * scaleY })) } : {}),
          quality: faceQualityInputs(image, detection, face.landmarks, detection.score, Math.sqrt(scaleX * scaleY)),
        },
      ];
    }),
  };
}

/**
 * Canvas sizes (× the image's longer side) tried in turn when the image itself shows no face. SSD MobileNetV1 misses
 * faces that fill the frame (LFW's 250 px crops: 10.6 % of them without a face), because it was trained on faces
 * with surroundings: centred on a grey canvas 1.5× as large it finds 131 of those 137 photos, and 2× finds 4 of
 * the rest; neither finds a face in the non-face images (docs/recognizer.md, "Faces that fill the frame").
 * Only images without a face pay for the extra passes.
 */
export const RETRY_CANVAS_SCALES = [1.5, 2] as const;
/** The canvas is drawn at most this size: SSD sees 512 px anyway, and a 2,048 px image on a 2× canvas would be 48 MB. */
const RETRY_CANVAS_MAX_SIDE = 2 * SSD_INPUT_SIZE;

/** The image's faces; when there are none, the faces found with the image centred on a larger canvas. */
async function detectFaces(nets: FaceNets, image: RgbImage): Promise<Detection[]> {
  const inside = (detections: Detection[]) => detections.filter((detection) => clippedArea(detection, image.width, image.height) > 0);
  const found = inside(await nets.detect(image));
  if (found.length > 0) return found;
  for (const scale of RETRY_CANVAS_SCALES) {
    const canvas = centreOnCanvas(image, scale, RETRY_CANVAS_MAX_SIDE);
    const onCanvas = inside((await nets.detect(canvas.image)).map((detection) => fromCanvas(detection, canvas, image.width, image.height)));
    if (onCanvas.length > 0) return onCanvas;
  }
  return [];
}

export function clippedArea(box: PixelBox, width: number, height: number): number {
  const clipped = clipBox(box, width, height);
  return clipped.width > 0 && clipped.height > 0 ? clipped.width * clipped.height : 0;
}

const WARMUP_SIZE = 384;

/** The first run of each net allocates buffers and picks (or compiles) kernels: done before reporting SERVING. */
export async function warmUp(nets: FaceNets): Promise<void> {
  const image: RgbImage = { pixels: new Uint8Array(WARMUP_SIZE * WARMUP_SIZE * 3).fill(128), width: WARMUP_SIZE, height: WARMUP_SIZE };
  await nets.detect(image);
  await nets.describe(image, [{ x: 64, y: 64, width: 256, height: 256 }], false);
}

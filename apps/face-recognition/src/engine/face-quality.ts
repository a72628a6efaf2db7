import { FaceQualityInputs } from '@visage/domain';
import { clipBox, PixelBox, RgbImage } from './pixels';

/** Side of the grey square a face is resampled to before its sharpness is measured: sizes compare alike. */
const SHARPNESS_SIDE = 64;
const DEGREES = 180 / Math.PI;
/**
 * Where the nose tip sits between the eye line and the chin, as a fraction of that span, on a face looking
 * straight ahead: the median over the LFW dev set's faces (mostly frontal). Pitch is the departure from it.
 */
const FRONTAL_NOSE_HEIGHT = 0.34;

// The 68-point (iBUG) layout face-api's landmark net uses.
const JAW_LEFT = 0;
const JAW_RIGHT = 16;
const CHIN = 8;
const NOSE_TIP = 30;
const LEFT_EYE = [36, 37, 38, 39, 40, 41];
const RIGHT_EYE = [42, 43, 44, 45, 46, 47];

type Point = { x: number; y: number };

/**
 * The inputs of a face's quality judgement, from the working-size pixels, the face's box there and its 68
 * landmarks there (every engine gives them, so every engine computes them alike): `size` is the box's smaller
 * side in pixels of the original image (`scale`: original / working), `sharpness` the variance of the Laplacian
 * of the face's grey crop resampled to 64×64 (a blurred or upscaled face has little high-frequency energy), and
 * the head pose in degrees estimated from the landmarks (coarse: from 2-D points, no 3-D model).
 */
export function faceQualityInputs(image: RgbImage, box: PixelBox, landmarks: readonly Point[], score: number, scale: number): FaceQualityInputs {
  return {
    size: Math.min(box.width, box.height) * scale,
    score,
    sharpness: laplacianVariance(image, box),
    ...headPose(landmarks),
  };
}

/** Variance of the 4-neighbour Laplacian of the box's grey pixels, bilinearly resampled to a 64×64 square. */
export function laplacianVariance(image: RgbImage, box: PixelBox): number {
  const clipped = clipBox(box, image.width, image.height);
  if (clipped.width < 2 || clipped.height < 2) return 0;
  const side = SHARPNESS_SIDE;
  const grey = new Float64Array(side * side);
  for (let row = 0; row < side; row++) {
    const y = clipped.y + ((row + 0.5) * clipped.height) / side - 0.5;
    for (let column = 0; column < side; column++) {
      const x = clipped.x + ((column + 0.5) * clipped.width) / side - 0.5;
      grey[row * side + column] = bilinearGrey(image, x, y);
    }
  }
  let sum = 0;
  let squares = 0;
  const count = (side - 2) * (side - 2);
  for (let row = 1; row < side - 1; row++) {
    for (let column = 1; column < side - 1; column++) {
      const at = row * side + column;
      const laplacian = grey[at - 1] + grey[at + 1] + grey[at - side] + grey[at + side] - 4 * grey[at];
      sum += laplacian;
      squares += laplacian * laplacian;
    }
  }
  const mean = sum / count;
  return squares / count - mean * mean;
}

function bilinearGrey(image: RgbImage, x: number, y: number): number {
  const x0 = Math.min(Math.max(Math.floor(x), 0), image.width - 1);
  const y0 = Math.min(Math.max(Math.floor(y), 0), image.height - 1);
  const x1 = Math.min(x0 + 1, image.width - 1);
  const y1 = Math.min(y0 + 1, image.height - 1);
  const fx = Math.min(Math.max(x - x0, 0), 1);
  const fy = Math.min(Math.max(y - y0, 0), 1);
  const at = (px: number, py: number) => {
    const offset = (py * image.width + px) * 3;
    // ITU-R BT.601 luma.
    return 0.299 * image.pixels[offset] + 0.587 * image.pixels[offset + 1] + 0.114 * image.pixels[offset + 2];
  };
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

function centre(points: readonly Point[], indices: readonly number[]): Point {
  return {
    x: indices.reduce((sum, index) => sum + points[index].x, 0) / indices.length,
    y: indices.reduce((sum, index) => sum + points[index].y, 0) / indices.length,
  };
}

/**
 * Head pose from 68 landmarks, in degrees. Roll: the tilt of the line between the eye centres. Then, in the frame
 * where that line is level: yaw from where the nose tip sits between the two ends of the jaw (centred: 0°, at
 * one end: ±90°), pitch from where it sits between the eye line and the chin, against a frontal face's.
 * Without 68 points (no landmarks) the pose is unknown: 0.
 */
export function headPose(landmarks: readonly Point[]): { yaw: number; pitch: number; roll: number } {
  if (landmarks.length < 68) return { yaw: 0, pitch: 0, roll: 0 };
  const left = centre(landmarks, LEFT_EYE);
  const right = centre(landmarks, RIGHT_EYE);
  const rollRadians = Math.atan2(right.y - left.y, right.x - left.x);
  const cos = Math.cos(-rollRadians);
  const sin = Math.sin(-rollRadians);
  const level = (point: Point): Point => ({ x: point.x * cos - point.y * sin, y: point.x * sin + point.y * cos });
  const jawLeft = level(landmarks[JAW_LEFT]);
  const jawRight = level(landmarks[JAW_RIGHT]);
  const nose = level(landmarks[NOSE_TIP]);
  const chin = level(landmarks[CHIN]);
  const eyeLine = (level(left).y + level(right).y) / 2;
  const width = jawRight.x - jawLeft.x;
  const clamp = (value: number) => Math.min(1, Math.max(-1, value));
  const yaw = width > 0 ? Math.asin(clamp((2 * (nose.x - jawLeft.x)) / width - 1)) * DEGREES : 0;
  const height = chin.y - eyeLine;
  const pitch = height > 0 ? Math.asin(clamp(((nose.y - eyeLine) / height - FRONTAL_NOSE_HEIGHT) / (1 - FRONTAL_NOSE_HEIGHT))) * DEGREES : 0;
  return { yaw, pitch, roll: rollRadians * DEGREES };
}

import { PixelBox } from '../pixels';
import { LANDMARK_INPUT_SIZE } from './face-api-graphs';

export interface Point {
  x: number;
  y: number;
}

/**
 * face-api's FaceLandmark68NetBase.postProcess + FaceLandmarks68: the net's 136 outputs are relative to the centred,
 * padded 112-px square of the crop; this maps them to pixels of the image (crop origin `shift`).
 */
export function landmarkPositions(output: Float32Array, offset: number, crop: { width: number; height: number }, shift: Point): Point[] {
  const scale = LANDMARK_INPUT_SIZE / Math.max(crop.width, crop.height);
  const scaledWidth = crop.width * scale;
  const scaledHeight = crop.height * scale;
  const padX = scaledWidth < scaledHeight ? Math.abs(scaledWidth - scaledHeight) / 2 : 0;
  const padY = scaledHeight < scaledWidth ? Math.abs(scaledWidth - scaledHeight) / 2 : 0;
  const points: Point[] = [];
  for (let i = 0; i < 68; i++) {
    const relativeX = (output[offset + 2 * i] * LANDMARK_INPUT_SIZE - padX) / scaledWidth;
    const relativeY = (output[offset + 2 * i + 1] * LANDMARK_INPUT_SIZE - padY) / scaledHeight;
    points.push({ x: relativeX * crop.width + shift.x, y: relativeY * crop.height + shift.y });
  }
  return points;
}

const LEFT_EYE: [number, number] = [36, 42];
const RIGHT_EYE: [number, number] = [42, 48];
const MOUTH: [number, number] = [48, 68];

/**
 * face-api's `FaceLandmarks.align(null, { useDlibAlignment: true })`: a square around the eyes and mouth, sized by
 * the eye-to-mouth distance as dlib's face chips are. `crop` is the size of the landmark net's input crop.
 */
export function alignDlib(points: Point[], crop: { width: number; height: number }): PixelBox {
  const centre = (range: [number, number]): Point => {
    const slice = points.slice(range[0], range[1]);
    return { x: slice.reduce((sum, point) => sum + point.x, 0) / slice.length, y: slice.reduce((sum, point) => sum + point.y, 0) / slice.length };
  };
  const centres = [centre(LEFT_EYE), centre(RIGHT_EYE), centre(MOUTH)];
  const [leftEye, rightEye, mouth] = centres;
  const toMouth = (point: Point) => Math.sqrt((mouth.x - point.x) ** 2 + (mouth.y - point.y) ** 2);
  const size = Math.floor((toMouth(leftEye) + toMouth(rightEye)) / 2 / 0.45);
  const reference = { x: (leftEye.x + rightEye.x + mouth.x) / 3, y: (leftEye.y + rightEye.y + mouth.y) / 3 };
  const x = Math.floor(Math.max(0, reference.x - 0.5 * size));
  const y = Math.floor(Math.max(0, reference.y - 0.43 * size));
  return { x, y, width: Math.min(size, crop.width + x), height: Math.min(size, crop.height + y) };
}

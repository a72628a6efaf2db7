import { ChipDetails, ChipPoint, findSimilarity } from './face-chip';

/** The side of an ArcFace-aligned face: what ArcFace-trained nets (MobileFaceNet included) are fed. */
export const ARCFACE_SIZE = 112;

/**
 * ArcFace's reference points in a 112 × 112 face (insightface's `arcface_dst`): the eye centres (the one on the
 * image's left first), the nose tip, the mouth corners.
 */
export const ARCFACE_TEMPLATE: readonly ChipPoint[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
];

const mean = (points: ChipPoint[]): ChipPoint => ({
  x: points.reduce((sum, point) => sum + point.x, 0) / points.length,
  y: points.reduce((sum, point) => sum + point.y, 0) / points.length,
});

/** ArcFace's five points from the 68 (iBUG numbering): eye centres 36–41 and 42–47, nose tip 30, mouth corners 48 and 54. */
export function arcfacePoints(landmarks: ChipPoint[]): ChipPoint[] {
  if (landmarks.length !== 68) throw new Error(`an ArcFace alignment needs the 68 landmarks, got ${landmarks.length}`);
  return [mean(landmarks.slice(36, 42)), mean(landmarks.slice(42, 48)), landmarks[30], landmarks[48], landmarks[54]];
}

/**
 * The ArcFace alignment as chip details for `extractFaceChip`: the least-squares similarity taking the template onto
 * the face's five points (rotation, uniform scale, shift), with the template read in continuous coordinates (a
 * pixel's centre at +½) — the convention `bench:descriptors` measured the model with. `extractFaceChip` maps chip
 * pixel u to the image through `centre + step · (u − (size − 1) / 2)` with `step = (size · scale − 1) / (size − 1)`,
 * so the similarity's own step is turned into that `scale`.
 */
export function arcfaceChipDetails(landmarks: ChipPoint[]): ChipDetails {
  const { a, b, tx, ty } = findSimilarity([...ARCFACE_TEMPLATE], arcfacePoints(landmarks));
  const step = Math.hypot(a, b);
  const half = ARCFACE_SIZE / 2;
  return {
    size: ARCFACE_SIZE,
    centre: { x: a * half - b * half + tx - 0.5, y: b * half + a * half + ty - 0.5 },
    scale: (step * (ARCFACE_SIZE - 1) + 1) / ARCFACE_SIZE,
    angle: Math.atan2(b, a),
  };
}

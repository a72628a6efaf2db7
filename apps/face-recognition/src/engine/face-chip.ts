import { RgbImage } from './pixels';

/**
 * dlib's face chips, which the recogniser's weights (dlib_face_recognition_resnet_model_v1) were trained on:
 * `get_face_chip_details(shape, 150, 0.25)` + `extract_image_chip` (dlib/image_transforms/interpolation.h). A
 * similarity transform (rotation, uniform scale, shift) fitted by least squares from dlib's mean-face template onto
 * the landmarks, then bilinear sampling of a `size`-pixel square. face-api's `align({ useDlibAlignment })` keeps an
 * axis-aligned box instead and never rotates, so its crops are off the distribution the net learnt.
 */

export interface ChipPoint {
  x: number;
  y: number;
}

/** Where a chip lies in the image: dlib's `chip_details` (a rectangle of the image, rotated about its centre). */
export interface ChipDetails {
  /** The chip's size in pixels (square). */
  size: number;
  /** Centre of the chip's rectangle in the image. */
  centre: ChipPoint;
  /** Image pixels per chip pixel (the similarity's scale). */
  scale: number;
  /** Rotation of the chip in the image, radians (image axes, y down). */
  angle: number;
}

/** Which landmarks the chip is fitted to: dlib's 68-point template (points 17–67, without brows and lower lip), or its 5-point one. */
export type ChipTemplate = '68' | '5';

/**
 * dlib's mean face, points 17–67 of the iBUG 68 (x then y, relative to the face's extent): `mean_face_shape_x/y` of
 * `get_face_chip_details`.
 */
export const MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127,
  0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516,
  0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379,
  0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
];
export const MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625,
  0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758,
  0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192,
  0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];
export const FIRST_TEMPLATE_POINT = 17;

/** dlib fits the 68-point chip to points 27–54 and 60–64: the brows (17–26) and the lower lip (55–59, 65–67) move too much. */
const fittedPoint = (index: number) => !(index <= 26 || (index >= 55 && index <= 59) || index >= 65);

/**
 * dlib's 5-point template (shape_predictor_5_face_landmarks: the outer and inner corner of each eye, the base of the
 * nose) and the 68-point landmarks that are those points: 45, 42, 36, 39 (eye corners), 33 (base of the nose).
 */
export const FIVE_POINT_TEMPLATE: Array<{ x: number; y: number; from68: number }> = [
  { x: 0.8595674595992, y: 0.2134981538014, from68: 45 },
  { x: 0.6460604764104, y: 0.2289674387677, from68: 42 },
  { x: 0.1205750620789, y: 0.2137274526848, from68: 36 },
  { x: 0.3340850613712, y: 0.2290642403242, from68: 39 },
  { x: 0.4901123135679, y: 0.6277975316475, from68: 33 },
];

/** The chip size and padding dlib's face recognition model was trained with (`get_face_chip(img, shape, 150, 0.25)`). */
export const DLIB_CHIP_SIZE = 150;
export const DLIB_CHIP_PADDING = 0.25;

/** Template points (in chip pixels) and the landmarks they are fitted to. */
function templatePairs(landmarks: ChipPoint[], size: number, padding: number, template: ChipTemplate): { chip: ChipPoint[]; image: ChipPoint[] } {
  const place = (x: number, y: number): ChipPoint => ({
    x: ((padding + x) / (2 * padding + 1)) * size,
    y: ((padding + y) / (2 * padding + 1)) * size,
  });
  if (template === '5') {
    return { chip: FIVE_POINT_TEMPLATE.map((point) => place(point.x, point.y)), image: FIVE_POINT_TEMPLATE.map((point) => landmarks[point.from68]) };
  }
  const chip: ChipPoint[] = [];
  const image: ChipPoint[] = [];
  for (let index = FIRST_TEMPLATE_POINT; index < 68; index++) {
    if (!fittedPoint(index)) continue;
    chip.push(place(MEAN_FACE_X[index - FIRST_TEMPLATE_POINT], MEAN_FACE_Y[index - FIRST_TEMPLATE_POINT]));
    image.push(landmarks[index]);
  }
  return { chip, image };
}

/** A similarity x' = a·x − b·y + tx, y' = b·x + a·y + ty. */
interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * The least-squares similarity taking `from` onto `to` (dlib's `find_similarity_transform`, Umeyama's method, which in
 * 2-D without reflection has this closed form).
 */
export function findSimilarity(from: ChipPoint[], to: ChipPoint[]): Similarity {
  const centre = (points: ChipPoint[]) => ({
    x: points.reduce((sum, point) => sum + point.x, 0) / points.length,
    y: points.reduce((sum, point) => sum + point.y, 0) / points.length,
  });
  const fromCentre = centre(from);
  const toCentre = centre(to);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  from.forEach((point, index) => {
    const u = point.x - fromCentre.x;
    const v = point.y - fromCentre.y;
    const x = to[index].x - toCentre.x;
    const y = to[index].y - toCentre.y;
    dot += u * x + v * y;
    cross += u * y - v * x;
    norm += u * u + v * v;
  });
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: toCentre.x - a * fromCentre.x + b * fromCentre.y, ty: toCentre.y - b * fromCentre.x - a * fromCentre.y };
}

/** dlib's `get_face_chip_details(det, size, padding)` for 68 iBUG landmarks (or the 5 of them dlib's 5-point model finds). */
export function faceChipDetails(
  landmarks: ChipPoint[],
  size: number = DLIB_CHIP_SIZE,
  padding: number = DLIB_CHIP_PADDING,
  template: ChipTemplate = '68',
): ChipDetails {
  if (landmarks.length !== 68) throw new Error(`a face chip needs the 68 landmarks, got ${landmarks.length}`);
  const pairs = templatePairs(landmarks, size, padding, template);
  const { a, b, tx, ty } = findSimilarity(pairs.chip, pairs.image);
  // chip_details(chip_points, img_points, dims): the rectangle is centred on the image of the chip's centre.
  const half = size / 2;
  return { size, centre: { x: a * half - b * half + tx, y: b * half + a * half + ty }, scale: Math.hypot(a, b), angle: Math.atan2(b, a) };
}

/**
 * The image position of chip pixel (u, v), as `extract_image_chip` maps it: chip pixels 0 and size − 1 land on the
 * edges of `centered_drect(centre, size·scale, size·scale)` (whose span is size·scale − 1), rotated about the centre.
 */
export function chipToImage(details: ChipDetails, u: number, v: number): ChipPoint {
  const span = details.size * details.scale - 1;
  const step = span / (details.size - 1);
  const dx = u * step - span / 2;
  const dy = v * step - span / 2;
  const cos = Math.cos(details.angle);
  const sin = Math.sin(details.angle);
  return { x: details.centre.x + cos * dx - sin * dy, y: details.centre.y + sin * dx + cos * dy };
}

/**
 * How many times dlib would halve the image (`pyramid_down<2>`) before sampling, so that bilinear sampling of a
 * region far larger than the chip does not alias: while the next level's rectangle would still cover more than the
 * chip's pixels.
 */
export function pyramidLevels(details: ChipDetails): number {
  let side = details.size * details.scale;
  let levels = 0;
  while ((side / 2) ** 2 > details.size ** 2) {
    side /= 2;
    levels++;
  }
  return levels;
}

/**
 * The chip's pixels as RGB floats (HWC, 0–255), `mirrored` left–right when asked (flip test-time augmentation).
 * Bilinear as dlib's `interpolate_bilinear`: a pixel whose four neighbours are not all in the image is black. For a
 * chip dlib would read from its image pyramid, each chip pixel averages k×k bilinear samples (k = 2^levels) over its
 * footprint: the same anti-aliasing, though not bit-identical to dlib's pyramid filter.
 */
export function extractFaceChip(image: RgbImage, details: ChipDetails, mirrored = false): Float32Array {
  const { size } = details;
  const out = new Float32Array(size * size * 3);
  const { width, height, pixels } = image;
  const samples = 2 ** pyramidLevels(details);
  const origin = chipToImage(details, 0, 0);
  const alongU = chipToImage(details, 1, 0);
  const alongV = chipToImage(details, 0, 1);
  const du = { x: alongU.x - origin.x, y: alongU.y - origin.y };
  const dv = { x: alongV.x - origin.x, y: alongV.y - origin.y };
  const rgb = [0, 0, 0];
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      rgb[0] = rgb[1] = rgb[2] = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          // Sub-sample offsets centred on the chip pixel: (s + ½) / k − ½ of a chip pixel.
          const fu = u + (sx + 0.5) / samples - 0.5;
          const fv = v + (sy + 0.5) / samples - 0.5;
          const x = origin.x + du.x * fu + dv.x * fv;
          const y = origin.y + du.y * fu + dv.y * fv;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height) continue;
          const fx = x - x0;
          const fy = y - y0;
          const topLeft = (y0 * width + x0) * 3;
          const bottomLeft = topLeft + width * 3;
          for (let channel = 0; channel < 3; channel++) {
            const top = pixels[topLeft + channel] + (pixels[topLeft + 3 + channel] - pixels[topLeft + channel]) * fx;
            const bottom = pixels[bottomLeft + channel] + (pixels[bottomLeft + 3 + channel] - pixels[bottomLeft + channel]) * fx;
            rgb[channel] += top + (bottom - top) * fy;
          }
        }
      }
      const at = (v * size + (mirrored ? size - 1 - u : u)) * 3;
      const count = samples * samples;
      out[at] = rgb[0] / count;
      out[at + 1] = rgb[1] / count;
      out[at + 2] = rgb[2] / count;
    }
  }
  return out;
}

/**
 * The `chip-flip` recipe's two inputs of one face, RGB floats (HWC, 0–255): dlib's 68-point chip (150 px, padding
 * 0.25) from the face's landmarks, then the same chip mirrored left–right. Shared by every engine.
 */
export function chipAndMirror(image: RgbImage, landmarks: ChipPoint[]): [Float32Array, Float32Array] {
  const details = faceChipDetails(landmarks, DLIB_CHIP_SIZE, DLIB_CHIP_PADDING, '68');
  return [extractFaceChip(image, details), extractFaceChip(image, details, true)];
}

/**
 * The `chip-flip` descriptors from the net's output for [chip, mirror] pairs, in order (`pairs` × 2 × `length`
 * floats): each face's descriptor is the mean of its two.
 */
export function meanOfPairs(output: Float32Array, pairs: number, length: number): Float32Array[] {
  if (output.length !== pairs * 2 * length) throw new RangeError(`expected ${pairs * 2 * length} floats for ${pairs} pairs, got ${output.length}`);
  return Array.from({ length: pairs }, (_pair, pair) => {
    const chip = output.subarray(pair * 2 * length, (pair * 2 + 1) * length);
    const mirror = output.subarray((pair * 2 + 1) * length, (pair * 2 + 2) * length);
    return chip.map((value, index) => (value + mirror[index]) / 2);
  });
}

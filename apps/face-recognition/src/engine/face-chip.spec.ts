import { describe, expect, it } from 'vitest';
import {
  ChipDetails,
  chipToImage,
  extractFaceChip,
  faceChipDetails,
  FIRST_TEMPLATE_POINT,
  FIVE_POINT_TEMPLATE,
  MEAN_FACE_X,
  MEAN_FACE_Y,
  pyramidLevels,
} from './face-chip';
import { RgbImage } from './pixels';

/** A face whose landmarks are dlib's template (150 px, padding 0.25) rotated 30°, scaled 2× and shifted by (100, 50). */
const COS = Math.cos(Math.PI / 6);
const SIN = Math.sin(Math.PI / 6);
const placed = (x: number, y: number) => ({ x: ((0.25 + x) / 1.5) * 150, y: ((0.25 + y) / 1.5) * 150 });
const moved = ({ x, y }: { x: number; y: number }) => ({ x: 100 + 2 * (COS * x - SIN * y), y: 50 + 2 * (SIN * x + COS * y) });

function templateFace(): Array<{ x: number; y: number }> {
  // Points 0–16 (the jaw) are not in dlib's template: anything will do.
  const landmarks = Array.from({ length: 68 }, (_unused, index) => ({ x: index, y: -index }));
  for (let index = FIRST_TEMPLATE_POINT; index < 68; index++) {
    landmarks[index] = moved(placed(MEAN_FACE_X[index - FIRST_TEMPLATE_POINT], MEAN_FACE_Y[index - FIRST_TEMPLATE_POINT]));
  }
  return landmarks;
}

describe('faceChipDetails (dlib get_face_chip_details)', () => {
  // By hand: centre = (100, 50) + 2·R(30°)·(75, 75) = (100 + 2·(64.952 − 37.5), 50 + 2·(37.5 + 64.952)).
  const expectedCentre = { x: 154.904, y: 254.904 };

  it('recovers the rotation, scale and centre of a face that is the template moved by a known similarity', () => {
    const details = faceChipDetails(templateFace());
    expect(details.size).toBe(150);
    expect(details.scale).toBeCloseTo(2, 9);
    expect(details.angle).toBeCloseTo(Math.PI / 6, 9);
    expect(details.centre.x).toBeCloseTo(expectedCentre.x, 3);
    expect(details.centre.y).toBeCloseTo(expectedCentre.y, 3);
  });

  it('fits only points 27–54 and 60–64: moving the brows, the lower lip or the jaw changes nothing', () => {
    const face = templateFace();
    const before = faceChipDetails(face);
    for (const index of [17, 22, 26, 55, 57, 59, 65, 67, 0, 8]) face[index] = { x: face[index].x + 40, y: face[index].y - 25 };
    expect(faceChipDetails(face)).toEqual(before);
    face[30] = { x: face[30].x + 40, y: face[30].y };
    expect(faceChipDetails(face)).not.toEqual(before);
  });

  it('the 5-point chip is fitted to the eye corners (36, 39, 42, 45) and the base of the nose (33) on its own template', () => {
    const landmarks = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
    for (const point of FIVE_POINT_TEMPLATE) landmarks[point.from68] = moved(placed(point.x, point.y));
    const details = faceChipDetails(landmarks, 150, 0.25, '5');
    expect(details.scale).toBeCloseTo(2, 9);
    expect(details.angle).toBeCloseTo(Math.PI / 6, 9);
    expect(details.centre.x).toBeCloseTo(expectedCentre.x, 3);
    expect(details.centre.y).toBeCloseTo(expectedCentre.y, 3);
  });

  it('padding widens the chip around the same face', () => {
    const tight = faceChipDetails(templateFace(), 150, 0);
    // Template span 1 + 2·padding: at padding 0 the face fills the chip, so 1.5× fewer image pixels per chip pixel.
    expect(tight.scale).toBeCloseTo(2 / 1.5, 9);
  });

  it('refuses landmarks that are not the 68', () => {
    expect(() => faceChipDetails(templateFace().slice(0, 5))).toThrow(/68 landmarks/);
  });
});

describe('chipToImage (extract_image_chip mapping)', () => {
  it('maps chip pixels 0 and size − 1 onto the edges of centered_drect (span size·scale − 1)', () => {
    const upright: ChipDetails = { size: 150, centre: { x: 74.5, y: 74.5 }, scale: 1, angle: 0 };
    expect(chipToImage(upright, 0, 0)).toEqual({ x: 0, y: 0 });
    expect(chipToImage(upright, 149, 149)).toEqual({ x: 149, y: 149 });
    const quarterTurn: ChipDetails = { ...upright, angle: Math.PI / 2 };
    const corner = chipToImage(quarterTurn, 149, 0);
    // (74.5, −74.5) from the centre, turned 90° (y down): (74.5, 74.5).
    expect(corner.x).toBeCloseTo(149, 9);
    expect(corner.y).toBeCloseTo(149, 9);
  });
});

describe('extractFaceChip', () => {
  /** Red = x, green = y, blue = 7 everywhere: a bilinear sample at (x, y) is exactly (x, y, 7). */
  const ramp: RgbImage = (() => {
    const width = 200;
    const height = 120;
    const pixels = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) pixels.set([x, y, 7], (y * width + x) * 3);
    }
    return { pixels, width, height };
  })();

  it('samples bilinearly where chipToImage says, and leaves pixels whose neighbours leave the image black', () => {
    const details: ChipDetails = { size: 4, centre: { x: 10.25, y: 20.5 }, scale: 1.5, angle: 0 };
    const chip = extractFaceChip(ramp, details);
    for (let v = 0; v < 4; v++) {
      for (let u = 0; u < 4; u++) {
        const at = chipToImage(details, u, v);
        expect(chip[(v * 4 + u) * 3]).toBeCloseTo(at.x, 4);
        expect(chip[(v * 4 + u) * 3 + 1]).toBeCloseTo(at.y, 4);
        expect(chip[(v * 4 + u) * 3 + 2]).toBeCloseTo(7, 6);
      }
    }
    const offEdge = extractFaceChip(ramp, { size: 4, centre: { x: 1, y: 1 }, scale: 1, angle: 0 });
    expect([...offEdge.slice(0, 3)]).toEqual([0, 0, 0]);
  });

  it('mirrors left–right on request', () => {
    const details: ChipDetails = { size: 6, centre: { x: 50, y: 60 }, scale: 1, angle: 0.3 };
    const straight = extractFaceChip(ramp, details);
    const mirror = extractFaceChip(ramp, details, true);
    for (let v = 0; v < 6; v++) {
      for (let u = 0; u < 6; u++) {
        expect(mirror.slice((v * 6 + u) * 3, (v * 6 + u) * 3 + 3)).toEqual(straight.slice((v * 6 + 5 - u) * 3, (v * 6 + 5 - u) * 3 + 3));
      }
    }
  });

  it('averages k×k samples per chip pixel where dlib would go down its pyramid (a linear ramp keeps its value)', () => {
    expect(pyramidLevels({ size: 150, centre: { x: 0, y: 0 }, scale: 1, angle: 0 })).toBe(0);
    expect(pyramidLevels({ size: 150, centre: { x: 0, y: 0 }, scale: 2.5, angle: 0 })).toBe(1);
    expect(pyramidLevels({ size: 150, centre: { x: 0, y: 0 }, scale: 5, angle: 0 })).toBe(2);
    const details: ChipDetails = { size: 4, centre: { x: 100, y: 60 }, scale: 9, angle: 0 };
    const chip = extractFaceChip(ramp, details);
    const at = chipToImage(details, 2, 1);
    // The mean of a ramp over a symmetric footprint is its value at the centre.
    expect(chip[(1 * 4 + 2) * 3]).toBeCloseTo(at.x, 3);
    expect(chip[(1 * 4 + 2) * 3 + 1]).toBeCloseTo(at.y, 3);
  });
});

import { describe, expect, it } from 'vitest';
import { analyzeWith, FaceNets, RETRY_CANVAS_SCALES } from './face-pipeline';
import { DecodedImage } from './image-decoder';
import { centreOnCanvas, fromCanvas, RgbImage } from './pixels';
import { Detection } from './ssd-detector';

/** A `width`×`height` image whose every pixel is (x, y, 7), to see where each one lands. */
function gradient(width: number, height: number): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.set([x, y, 7], (y * width + x) * 3);
  return { pixels, width, height };
}

const pixelAt = (image: RgbImage, x: number, y: number) =>
  Array.from(image.pixels.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

describe('centreOnCanvas / fromCanvas', () => {
  it('centres the image on a grey square scale × its longer side, pixels unchanged', () => {
    const canvas = centreOnCanvas(gradient(40, 20), 1.5, 1024);
    expect(canvas.image.width).toBe(60);
    expect(canvas.image.height).toBe(60);
    expect([canvas.left, canvas.top]).toEqual([10, 20]);
    expect(pixelAt(canvas.image, 10, 20)).toEqual([0, 0, 7]);
    expect(pixelAt(canvas.image, 49, 39)).toEqual([39, 19, 7]);
    expect(pixelAt(canvas.image, 9, 20)).toEqual([128, 128, 128]);
    expect(pixelAt(canvas.image, 30, 40)).toEqual([128, 128, 128]);
  });

  it('draws the image smaller when the canvas would pass maxSide, and maps boxes back to image pixels', () => {
    const image = gradient(200, 100);
    const canvas = centreOnCanvas(image, 2, 200);
    expect(canvas.image.width).toBe(200);
    expect([canvas.left, canvas.top, canvas.scaleX, canvas.scaleY]).toEqual([50, 75, 2, 2]);
    // A pixel of the drawn half-size image samples the image at twice its position.
    expect(pixelAt(canvas.image, 50 + 30, 75 + 10)).toEqual([60, 20, 7]);
    expect(fromCanvas({ score: 0.9, x: 60, y: 80, width: 20, height: 10 }, canvas, 200, 100)).toEqual({
      score: 0.9,
      x: 20,
      y: 10,
      width: 40,
      height: 20,
    });
  });

  it('clamps a box that reaches into the grey to the image, as SSD clamps to its input', () => {
    const canvas = centreOnCanvas(gradient(100, 100), 2, 1024);
    expect(fromCanvas({ x: 40, y: 60, width: 80, height: 200 }, canvas, 100, 100)).toEqual({ x: 0, y: 10, width: 70, height: 90 });
  });
});

/** Nets that see a face only on a square canvas of `faceOnSide` px, and describe every box they are given. */
function fakeNets(faceOnSide: number | undefined): FaceNets & { seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    recipe: 'chip-flip',
    async detect(image: RgbImage): Promise<Detection[]> {
      seen.push(image.width);
      return image.width === faceOnSide ? [{ score: 0.9, x: 20, y: 20, width: 160, height: 160 }] : [];
    },
    async describe(_image, boxes) {
      return boxes.map(() => ({ descriptor: new Float32Array(128), landmarks: [] }));
    },
  };
}

const decoded = (side: number): DecodedImage => ({
  ...gradient(side, side),
  pixels: Buffer.from(gradient(side, side).pixels),
  workingWidth: side,
  workingHeight: side,
  format: 'png',
});

describe('analyzeWith: faces that fill the frame', () => {
  it('looks again on the larger canvases in turn when the image shows no face, with boxes in image pixels', async () => {
    const nets = fakeNets(200); // the 2× canvas of a 100 px image
    const result = await analyzeWith(nets, decoded(100), false);
    expect(nets.seen).toEqual([100, 150, 200]);
    expect(RETRY_CANVAS_SCALES).toEqual([1.5, 2]);
    expect(result.faces).toHaveLength(1);
    // Canvas 20…180 around an image drawn at 50…150: the face is 0…100 of the image (clamped from -30…130).
    expect(result.faces[0].box).toEqual({ x: 0, y: 0, width: 100, height: 100 });
  });

  it('runs the detector once when the image itself shows a face, and at most once per canvas when none does', async () => {
    const found = fakeNets(100);
    await analyzeWith(found, decoded(100), false);
    expect(found.seen).toEqual([100]);
    const none = fakeNets(undefined);
    expect((await analyzeWith(none, decoded(100), false)).faces).toEqual([]);
    expect(none.seen).toEqual([100, 150, 200]);
  });
});

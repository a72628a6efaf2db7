/**
 * Pixel work done in JS on the decoded RGB buffer, so a full-size image never has to be copied into the WASM heap:
 * only the 512×512 detector input and the face crops are. Both reproduce face-api's tensor ops exactly.
 */

export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** face-api's `Box.clipAtImageBorders(width, height)` (which ends with `.floor()`). */
export function clipBox(box: PixelBox, width: number, height: number): PixelBox {
  const x = Math.max(box.x, 0);
  const y = Math.max(box.y, 0);
  const clippedWidth = Math.min(box.x + box.width - x, width - x);
  const clippedHeight = Math.min(box.y + box.height - y, height - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(clippedWidth), height: Math.floor(clippedHeight) };
}

/** The pixels of a (clipped) box as int32 HWC values: face-api's `tf.slice3d` of the int32 image tensor. */
export function cropPixels(image: RgbImage, box: PixelBox): Int32Array {
  const out = new Int32Array(box.width * box.height * 3);
  const rowLength = box.width * 3;
  for (let row = 0; row < box.height; row++) {
    const start = ((box.y + row) * image.width + box.x) * 3;
    const source = image.pixels.subarray(start, start + rowLength);
    out.set(source, row * rowLength);
  }
  return out;
}

/**
 * face-api's SSD input: pad bottom/right with zeros to a square, then `resizeBilinear(size, alignCorners=false,
 * halfPixelCenters=false)`, computed directly from the unpadded buffer (the padded square is never built).
 */
export function squareResize(image: RgbImage, size: number): Float32Array {
  const { pixels, width, height } = image;
  const side = Math.max(width, height);
  const scale = side / size;
  const out = new Float32Array(size * size * 3);
  const { lower: x0s, upper: x1s, fraction: dxs } = bilinearTaps(size, side);
  // Value at (x, y, channel) of the padded square: zero outside the image.
  const at = (x: number, y: number, channel: number) => (x < width && y < height ? pixels[(y * width + x) * 3 + channel] : 0);
  for (let oy = 0; oy < size; oy++) {
    const inY = oy * scale;
    const y0 = Math.floor(inY);
    const y1 = Math.min(y0 + 1, side - 1);
    const dy = inY - y0;
    if (y0 >= height) break; // the rest of the rows are padding: already zero
    for (let ox = 0; ox < size; ox++) {
      const x0 = x0s[ox];
      if (x0 >= width) break;
      const x1 = x1s[ox];
      const dx = dxs[ox];
      const base = (oy * size + ox) * 3;
      for (let channel = 0; channel < 3; channel++) {
        const topLeft = at(x0, y0, channel);
        const top = topLeft + (at(x1, y0, channel) - topLeft) * dx;
        const bottomLeft = at(x0, y1, channel);
        const bottom = bottomLeft + (at(x1, y1, channel) - bottomLeft) * dx;
        out[base + channel] = top + (bottom - top) * dy;
      }
    }
  }
  return out;
}

/**
 * Source positions of tfjs' `resizeBilinear(alignCorners = false, halfPixelCenters = false)` along one axis of
 * `side` pixels resized to `size`: output i reads `lower[i]` and `upper[i]`, weighted by `fraction[i]`.
 */
export function bilinearTaps(size: number, side: number): { lower: Int32Array; upper: Int32Array; fraction: Float64Array } {
  const scale = side / size;
  const lower = new Int32Array(size);
  const upper = new Int32Array(size);
  const fraction = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const position = i * scale;
    lower[i] = Math.floor(position);
    upper[i] = Math.min(lower[i] + 1, side - 1);
    fraction[i] = position - lower[i];
  }
  return { lower, upper, fraction };
}

export interface Canvas {
  image: RgbImage;
  /** Where the image's top-left corner lies on the canvas. */
  left: number;
  top: number;
  /** Image pixels per canvas pixel, across and down (1 unless the canvas had to be drawn smaller). */
  scaleX: number;
  scaleY: number;
}

/** Mid grey: SSD normalises it to ≈ 0, the same "nothing here" as the zero padding of its own input. */
const CANVAS_GREY = 128;

/**
 * The image centred on a grey square `scale` × its longer side, drawn at most `maxSide` px wide (bilinear
 * downscale when that needs it): the detector then sees a face that filled the frame at a size, and with a
 * surrounding, it was trained on. {@link fromCanvas} maps a box found on the canvas back to image pixels.
 */
export function centreOnCanvas(image: RgbImage, scale: number, maxSide: number): Canvas {
  const wanted = Math.round(Math.max(image.width, image.height) * scale);
  const side = Math.min(wanted, maxSide);
  const ratio = side / wanted;
  const drawnWidth = Math.max(1, Math.round(image.width * ratio));
  const drawnHeight = Math.max(1, Math.round(image.height * ratio));
  const left = Math.floor((side - drawnWidth) / 2);
  const top = Math.floor((side - drawnHeight) / 2);
  const pixels = new Uint8Array(side * side * 3).fill(CANVAS_GREY);
  const columns = bilinearTaps(drawnWidth, image.width);
  const rows = bilinearTaps(drawnHeight, image.height);
  const source = image.pixels;
  for (let oy = 0; oy < drawnHeight; oy++) {
    const row0 = rows.lower[oy] * image.width * 3;
    const row1 = rows.upper[oy] * image.width * 3;
    const dy = rows.fraction[oy];
    let out = ((top + oy) * side + left) * 3;
    for (let ox = 0; ox < drawnWidth; ox++) {
      const column0 = columns.lower[ox] * 3;
      const column1 = columns.upper[ox] * 3;
      const dx = columns.fraction[ox];
      for (let channel = 0; channel < 3; channel++) {
        const upper = source[row0 + column0 + channel] + (source[row0 + column1 + channel] - source[row0 + column0 + channel]) * dx;
        const lower = source[row1 + column0 + channel] + (source[row1 + column1 + channel] - source[row1 + column0 + channel]) * dx;
        pixels[out++] = Math.round(upper + (lower - upper) * dy);
      }
    }
  }
  return { image: { pixels, width: side, height: side }, left, top, scaleX: image.width / drawnWidth, scaleY: image.height / drawnHeight };
}

/** A box found on `canvas` in pixels of the image drawn on it, clamped to the image as SSD clamps to its input. */
export function fromCanvas<T extends PixelBox>(box: T, canvas: Canvas, width: number, height: number): T {
  const x0 = Math.max(0, (box.x - canvas.left) * canvas.scaleX);
  const y0 = Math.max(0, (box.y - canvas.top) * canvas.scaleY);
  const x1 = Math.min(width, (box.x + box.width - canvas.left) * canvas.scaleX);
  const y1 = Math.min(height, (box.y + box.height - canvas.top) * canvas.scaleY);
  return { ...box, x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

import { bilinearTaps, PixelBox, RgbImage } from '../pixels';

export interface PlanarNormalisation {
  /** Subtracted per channel (R, G, B) before dividing. */
  mean: readonly [number, number, number];
  divisor: number;
}

/**
 * Writes one network input in NCHW planes at `offset` of `out`: the `region` of `image` padded with zeros to a
 * square (centred as face-api's `padToSquare(x, true)`, or bottom/right), resized to `size`×`size` with tfjs'
 * `resizeBilinear(alignCorners = false, halfPixelCenters = false)`, then `(value - mean) / divisor`.
 * Computed from the decoded buffer directly: the padded square and the crop are never built.
 */
export function writePlanarSquare(
  image: RgbImage,
  region: PixelBox,
  size: number,
  centre: boolean,
  normalisation: PlanarNormalisation,
  out: Float32Array,
  offset: number,
): void {
  const { width, height } = region;
  const side = Math.max(width, height);
  const difference = Math.abs(width - height);
  // face-api appends round(diff / 2) and prepends the rest when centring.
  const before = centre ? difference - Math.round(difference * 0.5) : 0;
  const padLeft = width < height ? before : 0;
  const padTop = height < width ? before : 0;
  const plane = size * size;
  const { mean, divisor } = normalisation;
  const pixels = image.pixels;
  // Byte offsets of each tap in the image, or -1 where the tap falls in the zero padding.
  const columns = (taps: Int32Array) => taps.map((x) => (x - padLeft >= 0 && x - padLeft < width ? (region.x + x - padLeft) * 3 : -1));
  const rows = (taps: Int32Array) => taps.map((y) => (y - padTop >= 0 && y - padTop < height ? (region.y + y - padTop) * image.width * 3 : -1));
  // The padded input is square, so both axes resample `side` to `size` with the same taps.
  const taps = bilinearTaps(size, side);
  const xTaps = taps;
  const yTaps = taps;
  const left = columns(xTaps.lower);
  const right = columns(xTaps.upper);
  const top = rows(yTaps.lower);
  const bottom = rows(yTaps.upper);
  const at = (row: number, column: number, channel: number): number => (row < 0 || column < 0 ? 0 : pixels[row + column + channel]);
  const [meanR, meanG, meanB] = mean;
  for (let oy = 0; oy < size; oy++) {
    const row0 = top[oy];
    const row1 = bottom[oy];
    const dy = yTaps.fraction[oy];
    const red = offset + oy * size;
    const green = red + plane;
    const blue = green + plane;
    for (let ox = 0; ox < size; ox++) {
      const column0 = left[ox];
      const column1 = right[ox];
      const dx = xTaps.fraction[ox];
      if (row0 >= 0 && row1 >= 0 && column0 >= 0 && column1 >= 0) {
        // Inside the image (the common case): the four taps without padding checks, channels unrolled.
        const a = row0 + column0;
        const b = row0 + column1;
        const c = row1 + column0;
        const d = row1 + column1;
        const r0 = pixels[a] + (pixels[b] - pixels[a]) * dx;
        const r1 = pixels[c] + (pixels[d] - pixels[c]) * dx;
        const g0 = pixels[a + 1] + (pixels[b + 1] - pixels[a + 1]) * dx;
        const g1 = pixels[c + 1] + (pixels[d + 1] - pixels[c + 1]) * dx;
        const b0 = pixels[a + 2] + (pixels[b + 2] - pixels[a + 2]) * dx;
        const b1 = pixels[c + 2] + (pixels[d + 2] - pixels[c + 2]) * dx;
        out[red + ox] = (r0 + (r1 - r0) * dy - meanR) / divisor;
        out[green + ox] = (g0 + (g1 - g0) * dy - meanG) / divisor;
        out[blue + ox] = (b0 + (b1 - b0) * dy - meanB) / divisor;
        continue;
      }
      for (let channel = 0; channel < 3; channel++) {
        const topLeft = at(row0, column0, channel);
        const upper = topLeft + (at(row0, column1, channel) - topLeft) * dx;
        const bottomLeft = at(row1, column0, channel);
        const lower = bottomLeft + (at(row1, column1, channel) - bottomLeft) * dx;
        out[red + ox + channel * plane] = (upper + (lower - upper) * dy - mean[channel]) / divisor;
      }
    }
  }
}

/** Writes an already-sized square (RGB floats, HWC, e.g. a dlib face chip) as NCHW planes, `(value - mean) / divisor`. */
export function writePlanarChip(chip: Float32Array, size: number, normalisation: PlanarNormalisation, out: Float32Array, offset: number): void {
  const plane = size * size;
  const [meanR, meanG, meanB] = normalisation.mean;
  const { divisor } = normalisation;
  for (let pixel = 0; pixel < plane; pixel++) {
    out[offset + pixel] = (chip[pixel * 3] - meanR) / divisor;
    out[offset + plane + pixel] = (chip[pixel * 3 + 1] - meanG) / divisor;
    out[offset + 2 * plane + pixel] = (chip[pixel * 3 + 2] - meanB) / divisor;
  }
}

import { PixelBox, RgbImage } from '../pixels';

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
  const scale = side / size;
  const plane = size * size;
  const { mean, divisor } = normalisation;
  const pixels = image.pixels;
  const rowStride = image.width * 3;
  const x0s = new Int32Array(size);
  const x1s = new Int32Array(size);
  const dxs = new Float64Array(size);
  for (let ox = 0; ox < size; ox++) {
    const inX = ox * scale;
    const x0 = Math.floor(inX);
    x0s[ox] = x0;
    x1s[ox] = Math.min(x0 + 1, side - 1);
    dxs[ox] = inX - x0;
  }
  // Value of the padded square at (x, y, channel): zero outside the region.
  const at = (x: number, y: number, channel: number): number => {
    const rx = x - padLeft;
    const ry = y - padTop;
    if (rx < 0 || ry < 0 || rx >= width || ry >= height) return 0;
    return pixels[(region.y + ry) * rowStride + (region.x + rx) * 3 + channel];
  };
  for (let oy = 0; oy < size; oy++) {
    const inY = oy * scale;
    const y0 = Math.floor(inY);
    const y1 = Math.min(y0 + 1, side - 1);
    const dy = inY - y0;
    for (let ox = 0; ox < size; ox++) {
      const x0 = x0s[ox];
      const x1 = x1s[ox];
      const dx = dxs[ox];
      const index = offset + oy * size + ox;
      for (let channel = 0; channel < 3; channel++) {
        const topLeft = at(x0, y0, channel);
        const top = topLeft + (at(x1, y0, channel) - topLeft) * dx;
        const bottomLeft = at(x0, y1, channel);
        const bottom = bottomLeft + (at(x1, y1, channel) - bottomLeft) * dx;
        out[index + channel * plane] = (top + (bottom - top) * dy - mean[channel]) / divisor;
      }
    }
  }
}

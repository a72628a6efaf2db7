import sharp from 'sharp';

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Side of a face crop in pixels (square). */
export const FACE_CROP_SIZE = 160;
/** Context kept around the detected box on each side, as a fraction of the box: a bare box cuts off hair and chin. */
const CROP_MARGIN = 0.25;

/**
 * A square WebP of one face, cut from the picture as displayed (EXIF orientation applied, as the recognizer
 * decodes it) by the stored box plus a margin, clamped to the picture. Throws when the file is not a decodable
 * image or the box lies outside it.
 */
export async function renderFaceCrop(absolutePath: string, box: CropBox, maxPixels: number): Promise<Buffer> {
  const meta = await sharp(absolutePath, { limitInputPixels: maxPixels }).metadata();
  if (!meta.width || !meta.height) throw new Error('the image has no dimensions');
  const quarterTurn = (meta.orientation ?? 1) >= 5;
  const [imageWidth, imageHeight] = quarterTurn ? [meta.height, meta.width] : [meta.width, meta.height];
  const marginX = box.width * CROP_MARGIN;
  const marginY = box.height * CROP_MARGIN;
  const left = Math.max(0, Math.floor(box.x - marginX));
  const top = Math.max(0, Math.floor(box.y - marginY));
  const right = Math.min(imageWidth, Math.ceil(box.x + box.width + marginX));
  const bottom = Math.min(imageHeight, Math.ceil(box.y + box.height + marginY));
  if (right - left < 1 || bottom - top < 1) throw new Error('the face box lies outside the image');
  return sharp(absolutePath, { limitInputPixels: maxPixels })
    .rotate()
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize({ width: FACE_CROP_SIZE, height: FACE_CROP_SIZE, fit: 'cover' })
    .webp({ quality: 80 })
    .toBuffer();
}

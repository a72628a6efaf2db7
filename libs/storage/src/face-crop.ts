import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { EtagCache, ifNoneMatchHas } from './etag-cache';
import { sniffImageFile } from './image-format';
import { ResolvedImagePath, resolveImagePath } from './image-path';

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
 * image of an allowed format (by its first bytes) or the box lies outside it.
 */
export async function renderFaceCrop(absolutePath: string, box: CropBox, maxPixels: number): Promise<Buffer> {
  if ((await sniffImageFile(absolutePath)) === undefined) throw new Error('not an image of an allowed format');
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

export type FaceCropResult =
  | { kind: 'image'; etag: string; body: Buffer }
  | { kind: 'not-modified'; etag: string }
  /** The image file is gone or no longer inside the root. */
  | { kind: 'unavailable' }
  /** The file is not a decodable image, or the box lies outside it. */
  | { kind: 'undecodable' };

/** Crops kept in memory (most recently used last); a crop is a few kB, so this holds thousands. */
const CROP_CACHE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Face crops of images inside IMAGES_ROOT, each rendered once per (file version, box) and kept in a small LRU;
 * the ETag follows the file's mtime and the box, so browsers revalidate cheaply. Used by the receiver's
 * `GET /faces/:id/crop` and the dashboard's crops.
 */
export class FaceCropCache {
  private readonly crops = new EtagCache<{ body: Buffer }>(CROP_CACHE_MAX_BYTES);

  constructor(private readonly options: { root: string; maxBytes: number; maxPixels: number }) {}

  async render(imagePath: string, box: CropBox, ifNoneMatch?: string): Promise<FaceCropResult> {
    let file: ResolvedImagePath;
    try {
      file = await resolveImagePath(this.options.root, imagePath, { maxBytes: this.options.maxBytes });
    } catch {
      return { kind: 'unavailable' };
    }
    const etag = `"${createHash('sha1').update(`${imagePath}\0${file.mtimeMs}\0${box.x},${box.y},${box.width},${box.height}`).digest('base64url')}"`;
    if (ifNoneMatchHas(ifNoneMatch, etag)) return { kind: 'not-modified', etag };
    const cached = this.crops.get(etag);
    if (cached) return { kind: 'image', etag, body: cached.body };
    let body: Buffer;
    try {
      body = await renderFaceCrop(file.absolute, box, this.options.maxPixels);
    } catch {
      return { kind: 'undecodable' };
    }
    this.crops.remember(etag, { body });
    return { kind: 'image', etag, body };
  }
}

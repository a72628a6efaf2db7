import sharp, { Metadata, SharpOptions } from 'sharp';
import { describeError } from '@visage/domain';
import { IMAGE_FORMAT_NAMES, isRefusedImageFormat, sniffImageFormat } from '@visage/storage';
import { ImageProblem, RecognizerError } from '../recognizer-error';

/** An image the decoder refused; `code` says why. */
export class ImageDecodeError extends RecognizerError<ImageProblem> {
  constructor(code: ImageProblem, detail: string) {
    super(code, `${code}: ${detail}`);
  }
}

/** Below this no face can be found (SSD needs ~20 px at 512), and the request is almost surely a mistake. */
export const MIN_IMAGE_SIDE = 32;
/**
 * Pixels are decoded at most this size on the longer side. Detection runs at 512 px anyway and face crops are
 * resized to 112/150 px, so a 2,048 px working image still gives a face found at the 512 scale ≥ 4× the
 * pixels the nets use, while keeping worker memory bounded whatever the input size (JPEG shrink-on-load also
 * makes big photos much cheaper to decode).
 */
export const WORKING_MAX_SIDE = 2048;

export interface DecodedImage {
  /** Upright (EXIF-applied) size of the original image. */
  width: number;
  height: number;
  /** RGB, 8 bits per channel, `workingWidth × workingHeight × 3`. */
  pixels: Buffer;
  workingWidth: number;
  workingHeight: number;
  format: string;
}

export interface DecodeLimits {
  maxPixels: number;
  workingMaxSide?: number;
}

/**
 * libvips repeats its decoder's warnings (a truncated JPEG gives the same two lines three times over): each line
 * once, in order, on one line; a line already said inside an earlier one is dropped too.
 */
export function distinctLines(message: string): string {
  const kept: string[] = [];
  for (const line of message.split('\n').map((text) => text.replace(/\s+/g, ' ').trim())) {
    if (line !== '' && !kept.some((earlier) => earlier.includes(line))) kept.push(line);
  }
  return kept.join('; ');
}

function classifySharpError(error: unknown): ImageDecodeError {
  const message = describeError(error);
  if (/pixel limit/i.test(message)) return new ImageDecodeError('too_large', message);
  if (/unsupported image format/i.test(message)) return new ImageDecodeError('not_an_image', 'content is not a known image format');
  if (/empty/i.test(message)) return new ImageDecodeError('empty', 'file is empty');
  return new ImageDecodeError('corrupt', distinctLines(message));
}

/**
 * Decodes by content (the extension is never trusted; the first bytes must name a format of the allowlist shared
 * with uploads and thumbnails, so sharp never parses SVG or anything else libvips knows), applies EXIF orientation,
 * drops alpha, converts grayscale/CMYK/16-bit to 8-bit sRGB, and refuses decompression bombs before decoding their
 * pixels.
 */
export async function decodeImage(input: Buffer, limits: DecodeLimits): Promise<DecodedImage> {
  if (input.length === 0) throw new ImageDecodeError('empty', 'file is empty');
  const format = sniffImageFormat(input);
  if (format === undefined) {
    if (isRefusedImageFormat(input)) throw new ImageDecodeError('unsupported_format', `only ${IMAGE_FORMAT_NAMES} images are accepted`);
    throw new ImageDecodeError('not_an_image', 'content is not a known image format');
  }
  // failOn 'truncated': a cut-off file is refused, while the harmless libjpeg warnings common in camera JPEGs are not.
  const options: SharpOptions = { failOn: 'truncated', limitInputPixels: limits.maxPixels, animated: false };
  let metadata: Metadata;
  try {
    metadata = await sharp(input, options).metadata();
  } catch (error) {
    throw classifySharpError(error);
  }
  // Which frame of an animation (or page of a multi-page TIFF) holds the face is anybody's guess: analysing only
  // the first one would silently miss the rest, so the client is told instead.
  if ((metadata.pages ?? 1) > 1) {
    throw new ImageDecodeError('unsupported_format', `${format} with ${metadata.pages} frames/pages; only single images are accepted`);
  }
  const storedWidth = metadata.width ?? 0;
  const storedHeight = metadata.height ?? 0;
  if (storedWidth * storedHeight > limits.maxPixels) {
    throw new ImageDecodeError('too_large', `${storedWidth}x${storedHeight} px exceeds MAX_IMAGE_PIXELS (${limits.maxPixels})`);
  }
  const swapped = (metadata.orientation ?? 1) >= 5;
  const width = swapped ? storedHeight : storedWidth;
  const height = swapped ? storedWidth : storedHeight;
  if (Math.min(width, height) < MIN_IMAGE_SIDE) {
    throw new ImageDecodeError('too_small', `${width}x${height} px, at least ${MIN_IMAGE_SIDE}x${MIN_IMAGE_SIDE} needed`);
  }
  const maxSide = limits.workingMaxSide ?? WORKING_MAX_SIDE;
  try {
    const { data, info } = await sharp(input, options)
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      // Transparent areas have no defined colour: composite them on white, as a viewer shows them.
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new ImageDecodeError('unsupported_format', `${info.channels} channels after conversion`);
    return { width, height, pixels: data, workingWidth: info.width, workingHeight: info.height, format };
  } catch (error) {
    throw error instanceof ImageDecodeError ? error : classifySharpError(error);
  }
}

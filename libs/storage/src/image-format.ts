import { open } from 'node:fs/promises';

/**
 * The image formats Visage decodes, recognised by their first bytes (never by the declared content type or the
 * file name): the raster formats the prebuilt sharp (libvips) that decodes every image can read. The one
 * allowlist of uploads, thumbnails, face crops and the recognizer; whatever else libvips could load (SVG, PPM,
 * its own `.v` files …) is never handed to it. SVG is left out on purpose: it is text that may reference other
 * files and URLs, and a face photo is never one.
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

/** Stored file extension of each format. */
export const IMAGE_FORMAT_EXTENSIONS: Record<ImageFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tif',
  avif: 'avif',
};

/** The allowlist in words, for refusals. */
export const IMAGE_FORMAT_NAMES = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';

/** Bytes needed to tell every format apart (RIFF….WEBP and ….ftypavif are 12 long). */
export const FORMAT_SIGNATURE_BYTES = 12;

const ascii = (text: string) => Buffer.from(text, 'latin1');

/** `at`: offset of `bytes` in the file. */
const SIGNATURES: Array<{ format: ImageFormat; parts: Array<{ at: number; bytes: Buffer }> }> = [
  { format: 'jpeg', parts: [{ at: 0, bytes: Buffer.from([0xff, 0xd8, 0xff]) }] },
  { format: 'png', parts: [{ at: 0, bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) }] },
  { format: 'gif', parts: [{ at: 0, bytes: ascii('GIF87a') }] },
  { format: 'gif', parts: [{ at: 0, bytes: ascii('GIF89a') }] },
  {
    format: 'webp',
    parts: [
      { at: 0, bytes: ascii('RIFF') },
      { at: 8, bytes: ascii('WEBP') },
    ],
  },
  { format: 'tiff', parts: [{ at: 0, bytes: Buffer.from([0x49, 0x49, 0x2a, 0x00]) }] },
  { format: 'tiff', parts: [{ at: 0, bytes: Buffer.from([0x4d, 0x4d, 0x00, 0x2a]) }] },
  { format: 'avif', parts: [{ at: 4, bytes: ascii('ftypavif') }] },
  { format: 'avif', parts: [{ at: 4, bytes: ascii('ftypavis') }] },
];

/** The format whose signature `head` (the file's first bytes) starts with; undefined for anything else or a header cut short. */
export function sniffImageFormat(head: Buffer): ImageFormat | undefined {
  return SIGNATURES.find(({ parts }) =>
    parts.every(({ at, bytes }) => head.length >= at + bytes.length && head.subarray(at, at + bytes.length).equals(bytes)),
  )?.format;
}

/**
 * The format of the file at `absolutePath` by its first bytes (see {@link sniffImageFormat}); undefined for any
 * other content. Check this before handing a file to sharp, which would load any format libvips knows.
 */
export async function sniffImageFile(absolutePath: string): Promise<ImageFormat | undefined> {
  const file = await open(absolutePath, 'r');
  try {
    const head = Buffer.alloc(FORMAT_SIGNATURE_BYTES);
    const { bytesRead } = await file.read(head, 0, FORMAT_SIGNATURE_BYTES, 0);
    return sniffImageFormat(head.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}

/** HEIF brands that are not AVIF: HEIC photos, whose HEVC decoder the prebuilt libvips lacks. */
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/**
 * Whether `head` is an image in a format Visage refuses on purpose (SVG or other XML, PDF, HEIC), as opposed to
 * something that is no image at all: the recognizer answers the first `unsupported_format`, the second
 * `not_an_image`. Looks at the first kilobyte.
 */
export function isRefusedImageFormat(head: Buffer): boolean {
  const text = head
    .subarray(0, 1024)
    .toString('latin1')
    .replace(/^\xef\xbb\xbf/, '')
    .trimStart()
    .toLowerCase();
  if (text.startsWith('<') && (text.startsWith('<?xml') || text.includes('<svg'))) return true;
  if (text.startsWith('%pdf-')) return true;
  return head.length >= 12 && head.toString('latin1', 4, 8) === 'ftyp' && HEIF_BRANDS.has(head.toString('latin1', 8, 12));
}

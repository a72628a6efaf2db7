/**
 * The image formats an upload may be, recognised by their first bytes (never by the declared content type or the
 * file name): the raster formats the prebuilt sharp (libvips) that decodes every image can read. SVG is left out
 * on purpose: it is text that may reference other files and URLs, and a face photo is never one.
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

/** Bytes needed to tell every format apart (RIFF….WEBP and ….ftypavif are 12 long). */
export const FORMAT_SIGNATURE_BYTES = 12;

const ascii = (text: string) => Buffer.from(text, 'latin1');

/** `at`: offset of `bytes` in the file. */
const SIGNATURES: Array<{ format: ImageFormat; parts: Array<{ at: number; bytes: Buffer }> }> = [
  { format: 'jpeg', parts: [{ at: 0, bytes: Buffer.from([0xff, 0xd8, 0xff]) }] },
  { format: 'png', parts: [{ at: 0, bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) }] },
  { format: 'gif', parts: [{ at: 0, bytes: ascii('GIF87a') }] },
  { format: 'gif', parts: [{ at: 0, bytes: ascii('GIF89a') }] },
  { format: 'webp', parts: [{ at: 0, bytes: ascii('RIFF') }, { at: 8, bytes: ascii('WEBP') }] },
  { format: 'tiff', parts: [{ at: 0, bytes: Buffer.from([0x49, 0x49, 0x2a, 0x00]) }] },
  { format: 'tiff', parts: [{ at: 0, bytes: Buffer.from([0x4d, 0x4d, 0x00, 0x2a]) }] },
  { format: 'avif', parts: [{ at: 4, bytes: ascii('ftypavif') }] },
  { format: 'avif', parts: [{ at: 4, bytes: ascii('ftypavis') }] },
];

/** The format whose signature `head` (the file's first bytes) starts with; undefined for anything else or a header cut short. */
export function sniffImageFormat(head: Buffer): ImageFormat | undefined {
  return SIGNATURES.find(({ parts }) => parts.every(({ at, bytes }) => head.length >= at + bytes.length && head.subarray(at, at + bytes.length).equals(bytes)))
    ?.format;
}

import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { StorageError, UploadProblem } from './storage-error';
import { FORMAT_SIGNATURE_BYTES, IMAGE_FORMAT_EXTENSIONS, IMAGE_FORMAT_NAMES, ImageFormat, sniffImageFormat } from './image-format';

/** Folder of uploaded images under IMAGES_ROOT: `uploads/ab/cd/<sha256>.<ext>`. */
export const UPLOADS_DIR = 'uploads';
/** Where an upload is written while it streams, inside UPLOADS_DIR so that moving it in place is one atomic link on one filesystem. */
const INCOMING_DIR = '.incoming';

/** An upload refused for what it holds (or the client going away); `code` says which rule it broke. */
export class UploadError extends StorageError<UploadProblem> {}

export interface StoredUpload {
  /** Path relative to the images root, `/`-separated: what the image row stores. */
  relative: string;
  absolute: string;
  sha256: string;
  size: number;
  format: ImageFormat;
  /** False when the same bytes were stored before: this upload left nothing new on disk. */
  created: boolean;
}

export interface StoreUploadOptions {
  /** Refused past this many bytes ('file_too_large'), as soon as the stream crosses it. */
  maxBytes: number;
}

/**
 * Streams `source` into the content-addressed upload store under `root`, never holding it whole in memory:
 * written to `uploads/.incoming/<random>` while hashed (sha256), refused as soon as it passes `maxBytes` or its first
 * bytes are no known image format, its header read by the image decoder, then hard-linked to
 * `uploads/ab/cd/<sha256>.<ext>`. Linking (not renaming) never replaces a file: of two uploads of the same bytes, one
 * creates the file and the other finds it (`created: false`). The incoming file is removed on every path, so a
 * refused or aborted upload leaves nothing behind.
 *
 * On failure the rest of `source` is drained, not destroyed, so an HTTP client still reads the answer.
 */
export async function storeUpload(root: string, source: Readable, options: StoreUploadOptions): Promise<StoredUpload> {
  const incoming = join(root, UPLOADS_DIR, INCOMING_DIR);
  await mkdir(incoming, { recursive: true });
  const partial = join(incoming, `${randomUUID()}.part`);
  const file = await open(partial, 'wx');
  let closed = false;
  try {
    const hash = createHash('sha256');
    let size = 0;
    let head: Buffer = Buffer.alloc(0);
    let format: ImageFormat | undefined;
    const write = async (bytes: Buffer) => {
      hash.update(bytes);
      for (let offset = 0; offset < bytes.length;) offset += (await file.write(bytes, offset, bytes.length - offset)).bytesWritten;
    };
    await pumpChunks(source, async (chunk) => {
      size += chunk.length;
      if (size > options.maxBytes) throw new UploadError('file_too_large', `file is larger than ${options.maxBytes} bytes (MAX_UPLOAD_BYTES)`);
      if (format) return write(chunk);
      // The format is decided on the first bytes, before anything is written.
      head = Buffer.concat([head, chunk]);
      if (head.length < FORMAT_SIGNATURE_BYTES) return;
      format = formatOrRefuse(head);
      await write(head);
    });
    if (size === 0) throw new UploadError('empty_file', 'file is empty');
    if (!format) {
      format = formatOrRefuse(head);
      await write(head);
    }
    await file.sync();
    await file.close();
    closed = true;
    await readableHeaderOrRefuse(partial);
    const sha256 = hash.digest('hex');
    const relative = [UPLOADS_DIR, sha256.slice(0, 2), sha256.slice(2, 4), `${sha256}.${IMAGE_FORMAT_EXTENSIONS[format]}`].join('/');
    const absolute = join(root, ...relative.split('/'));
    await mkdir(join(absolute, '..'), { recursive: true });
    return { relative, absolute, sha256, size, format, created: await placeOnce(partial, absolute) };
  } finally {
    if (!closed) await file.close().catch(() => undefined);
    await rm(partial, { force: true });
  }
}

function formatOrRefuse(head: Buffer): ImageFormat {
  const format = sniffImageFormat(head);
  if (!format) throw new UploadError('unsupported_image_type', `file is not a ${IMAGE_FORMAT_NAMES} image (judged by its first bytes)`);
  return format;
}

/** The decoder reads the header (format, size), not the pixels: a file cut inside its header is refused here, not by the recognizer. */
async function readableHeaderOrRefuse(path: string): Promise<void> {
  try {
    const { width, height } = await sharp(path).metadata();
    if (!width || !height) throw new Error('no image size in the header');
  } catch (error) {
    throw new UploadError('unreadable_image', `the image header cannot be read (truncated or corrupt): ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Links `partial` to `target` unless a file is there already (same name = same bytes); true when this call created it. */
async function placeOnce(partial: string, target: string): Promise<boolean> {
  try {
    await link(partial, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Filesystems without hard links: a rename is atomic too, and replaces identical bytes at worst.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
      await rename(partial, target);
      return true;
    }
    throw error;
  }
}

/**
 * Feeds each chunk of `source` to `handle`, one at a time (the stream is paused while a chunk is handled, so a slow
 * disk slows the client instead of filling memory). When `handle` throws, the stream's remaining bytes are drained
 * and dropped and the error is the result; a stream that closes before its end is 'upload_aborted'.
 */
export function pumpChunks(source: Readable, handle: (chunk: Buffer) => Promise<void>): Promise<void> {
  const aborted = () => new UploadError('upload_aborted', 'the upload ended before its last byte (client gone)');
  return new Promise((resolve, reject) => {
    // Gone before anyone listened (the store's directories were being made).
    if (source.destroyed && !source.readableEnded) return reject(aborted());
    let settled = false;
    let inFlight: Promise<void> = Promise.resolve();
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      source.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose);
      if (error === undefined) return resolve();
      source.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      source.pause();
      inFlight = handle(chunk).then(() => {
        if (!settled) source.resume();
      }, settle);
    };
    const onEnd = () => void inFlight.then(() => settle());
    const onClose = () => void inFlight.then(() => settle(aborted()));
    source.on('data', onData).once('end', onEnd).once('error', settle).once('close', onClose);
  });
}

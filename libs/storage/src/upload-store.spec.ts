import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IMAGE_FORMAT_EXTENSIONS, ImageFormat, sniffImageFormat } from './image-format';
import { storeUpload, UploadError } from './upload-store';
import { UploadProblem } from './storage-error';

/** `bytes` as a stream of `chunkSize`-byte chunks, as a socket delivers them. */
const chunked = (bytes: Buffer, chunkSize = 7) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / chunkSize) }, (_, i) => bytes.subarray(i * chunkSize, (i + 1) * chunkSize)));

/** Every file under `dir`, relative, `/`-separated. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      join(entry.parentPath, entry.name)
        .slice(dir.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
}

const picture = (format: ImageFormat) =>
  sharp({ create: { width: 16, height: 12, channels: 3, background: '#48c' } })
    .toFormat(format)
    .toBuffer();

async function expectRefused(promise: Promise<unknown>, problem: UploadProblem): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UploadError);
  expect((error as UploadError).code).toBe(problem);
}

describe('storeUpload', () => {
  let root: string;
  let png: Buffer;

  beforeAll(async () => {
    png = await picture('png');
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'visage-upload-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('streams the bytes to uploads/ab/cd/<sha256>.<ext> and leaves no incoming file', async () => {
    const sha256 = createHash('sha256').update(png).digest('hex');
    const stored = await storeUpload(root, chunked(png), { maxBytes: 1 << 20 });
    expect(stored).toMatchObject({
      relative: `uploads/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}.png`,
      sha256,
      size: png.length,
      format: 'png',
      created: true,
    });
    expect(await readFile(join(root, stored.relative))).toEqual(png);
    expect(await filesUnder(root)).toEqual([stored.relative]);
  });

  it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)(
    'recognises %s by its first bytes and stores it with its extension',
    async (format) => {
      const bytes = await picture(format);
      expect(sniffImageFormat(bytes)).toBe(format);
      const stored = await storeUpload(root, chunked(bytes, 3), { maxBytes: 1 << 20 });
      expect(stored.format).toBe(format);
      expect(stored.relative.endsWith(`.${IMAGE_FORMAT_EXTENSIONS[format]}`)).toBe(true);
    },
  );

  it('stores the same bytes once: the second upload finds the file', async () => {
    const first = await storeUpload(root, chunked(png), { maxBytes: 1 << 20 });
    const second = await storeUpload(root, chunked(png, 1000), { maxBytes: 1 << 20 });
    expect(second).toMatchObject({ relative: first.relative, created: false });
    expect(await filesUnder(root)).toEqual([first.relative]);
  });

  it('concurrent uploads of the same bytes: one creates the file, the others find it', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => storeUpload(root, chunked(png, 64), { maxBytes: 1 << 20 })));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.relative)).size).toBe(1);
    expect(await filesUnder(root)).toEqual([results[0].relative]);
  });

  it('refuses past maxBytes as soon as the stream crosses it, drains the rest and removes the partial file', async () => {
    const source = new PassThrough();
    const stored = storeUpload(root, source, { maxBytes: png.length - 1 });
    source.write(png.subarray(0, 100));
    source.write(png.subarray(100));
    await expectRefused(stored, 'file_too_large');
    // The stream is still read (so an HTTP client gets its answer) and nothing stays on disk.
    source.end(Buffer.alloc(10_000));
    await new Promise((resolve) => source.once('end', resolve));
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses a text file by its first bytes, writing nothing', async () => {
    await expectRefused(
      storeUpload(root, chunked(Buffer.from('plain text behind a .jpg extension\n')), { maxBytes: 1 << 20 }),
      'unsupported_image_type',
    );
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses a file shorter than any signature, and an empty one', async () => {
    await expectRefused(storeUpload(root, chunked(png.subarray(0, 3)), { maxBytes: 1 << 20 }), 'unsupported_image_type');
    await expectRefused(storeUpload(root, chunked(Buffer.alloc(0)), { maxBytes: 1 << 20 }), 'empty_file');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses a file whose signature is right but whose header is cut short', async () => {
    const jpeg = await picture('jpeg');
    await expectRefused(storeUpload(root, chunked(jpeg.subarray(0, 40)), { maxBytes: 1 << 20 }), 'unreadable_image');
    await expectRefused(storeUpload(root, chunked(png.subarray(0, 30)), { maxBytes: 1 << 20 }), 'unreadable_image');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('a stream that dies before its end is upload_aborted and leaves nothing', async () => {
    const source = new PassThrough();
    const stored = storeUpload(root, source, { maxBytes: 1 << 20 });
    source.write(png.subarray(0, 200));
    await new Promise((resolve) => setImmediate(resolve));
    source.destroy();
    await expectRefused(stored, 'upload_aborted');
    expect(await filesUnder(root)).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request as httpRequest, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { bearer } from '../../../libs/auth/test/test-keys';
import { expectApiError, ReceiverHarness, startReceiver, TEST_MAX_IMAGE_BYTES } from './receiver-harness';
import { MAX_UPLOAD_FILES } from '../src/uploads/upload-receiver';
import { UploadItemResultDto } from '../src/images/dto/upload-images.dto';

type UploadItem = UploadItemResultDto;

let shade = 0;
/** A small PNG no other test uploads (each call a new colour), well under the test MAX_UPLOAD_BYTES. */
const freshPng = () =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: { r: shade++ % 256, g: Math.floor(shade / 256) % 256, b: 7 } } })
    .png()
    .toBuffer();

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const uploadPathOf = (bytes: Buffer, ext: string) => {
  const hash = sha256(bytes);
  return `uploads/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}.${ext}`;
};

/** Every file under `<root>/uploads`, the incoming folder included, relative to the root. */
async function uploadedFiles(root: string): Promise<string[]> {
  const entries = await readdir(join(root, 'uploads'), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

/**
 * POSTs `chunks` one by one with chunked transfer encoding (no content-length, as a streaming client sends), with
 * a pause between them, and returns the answer: the server must answer 413 mid-stream, not after reading it all.
 */
function postChunked(server: Server, path: string, type: string, chunks: Buffer[]): Promise<{ status: number; body: unknown }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...bearer(), 'content-type': type } }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')) }));
    });
    request.on('error', reject);
    const writeNext = (index: number) => {
      if (index === chunks.length) return void request.end();
      request.write(chunks[index], () => setTimeout(() => writeNext(index + 1), 5));
    };
    writeNext(0);
  });
}

describe.each(TEST_DRIVERS)('uploads (POST /images, POST /persons/:id/faces) on $name', (driver) => {
  let harness: ReceiverHarness;
  let server: Server;

  beforeAll(async () => {
    harness = await startReceiver(driver, { RATE_LIMIT_SUBMIT_PER_MINUTE: '100000' });
    server = harness.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await harness?.close();
  });

  const publishedIds = () => harness.queue.events.map((event) => (event.data as { imageId: number }).imageId);

  it('multipart: a file part is stored by its sha256, queued, and answered as a /images/post item', async () => {
    const png = await freshPng();
    const response = await harness.http.post('/images').attach('file', png, 'party.png');
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const [item] = response.body.images as UploadItem[];
    expect(response.body.images).toHaveLength(1);
    expect(item).toEqual({
      index: 0,
      id: expect.any(Number),
      status: 'pending',
      path: uploadPathOf(png, 'png'),
      name: 'party.png',
      duplicate: false,
    });
    expect(publishedIds()).toContain(item.id);
    expect((await harness.http.get(`/images/${item.id}`)).body).toMatchObject({ id: item.id, path: item.path, status: 'pending' });
    expect(await uploadedFiles(harness.root)).toContain(item.path);
  });

  it('raw body: an image/* body is one upload', async () => {
    const png = await freshPng();
    const response = await harness.http.post('/images').set('content-type', 'image/png').send(png);
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body.images).toEqual([
      { index: 0, id: expect.any(Number), status: 'pending', path: uploadPathOf(png, 'png'), name: null, duplicate: false },
    ]);
  });

  it('several files in one request are answered each on its own, in order; a bad one does not sink the others', async () => {
    const [first, second, third] = await Promise.all([freshPng(), freshPng(), freshPng()]);
    const jpeg = await sharp(third).jpeg().toBuffer();
    const response = await harness.http
      .post('/images')
      .attach('file', first, 'one.png')
      .attach('file', Buffer.from('just some notes\n'), 'notes.txt')
      .attach('file', second, 'two.png')
      .attach('file', jpeg, 'three.jpg');
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const items = response.body.images as UploadItem[];
    expect(items.map((item) => [item.index, item.name, item.status ?? item.error?.code])).toEqual([
      [0, 'one.png', 'pending'],
      [1, 'notes.txt', 'unsupported_image_type'],
      [2, 'two.png', 'pending'],
      [3, 'three.jpg', 'pending'],
    ]);
    expect(items[1].error).toMatchObject({ statusCode: 415 });
    expect(items[3].path).toBe(uploadPathOf(jpeg, 'jpg'));
    expect(new Set(items.filter((item) => item.id).map((item) => item.id)).size).toBe(3);
  });

  it(`refuses file parts beyond ${MAX_UPLOAD_FILES} one by one, and parts not named "file"`, async () => {
    let request = harness.http.post('/images').attach('photo', await freshPng(), 'wrong-field.png');
    for (let index = 0; index <= MAX_UPLOAD_FILES; index++) request = request.attach('file', await freshPng(), `${index}.png`);
    const response = await request;
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const items = response.body.images as UploadItem[];
    expect(items[0].error).toMatchObject({ statusCode: 400, code: 'unexpected_field' });
    expect(items.slice(1, MAX_UPLOAD_FILES).every((item) => item.status === 'pending')).toBe(true);
    expect(items.slice(MAX_UPLOAD_FILES).map((item) => item.error?.code)).toEqual(['too_many_files', 'too_many_files']);
  });

  it('the same bytes again are stored once and answered with the existing image (duplicate, its status), not queued again', async () => {
    const png = await freshPng();
    const first = (await harness.http.post('/images').attach('file', png, 'a.png')).body.images[0] as UploadItem;
    const published = publishedIds().length;
    const again = await harness.http.post('/images').set('content-type', 'image/png').send(png);
    expect(again.status).toBe(202);
    expect(again.body.images).toEqual([{ index: 0, id: first.id, status: 'pending', path: first.path, name: null, duplicate: true }]);
    expect(publishedIds()).toHaveLength(published);
    expect((await uploadedFiles(harness.root)).filter((file) => file === first.path)).toHaveLength(1);
  });

  it('concurrent uploads of the same bytes: one file, one row, one "created" answer', async () => {
    const png = await freshPng();
    const answers = await Promise.all(Array.from({ length: 6 }, () => harness.http.post('/images').set('content-type', 'image/png').send(png)));
    const items = answers.map((answer) => answer.body.images[0] as UploadItem);
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(202));
    expect(new Set(items.map((item) => item.id)).size).toBe(1);
    expect(items.filter((item) => item.duplicate === false)).toHaveLength(1);
    expect((await uploadedFiles(harness.root)).filter((file) => file === uploadPathOf(png, 'png'))).toHaveLength(1);
    const page = await harness.http.get('/images?limit=200');
    expect((page.body.items as Array<{ path: string }>).filter((image) => image.path === uploadPathOf(png, 'png'))).toHaveLength(1);
  });

  it('413 mid-stream: a body crossing MAX_UPLOAD_BYTES is refused while it streams, and no partial file is left', async () => {
    const png = await freshPng();
    const before = await uploadedFiles(harness.root);
    const tooMuch = [png, ...Array.from({ length: 8 }, () => Buffer.alloc(TEST_MAX_IMAGE_BYTES / 2, 1))];
    const raw = await postChunked(server, '/images', 'image/png', tooMuch);
    expectApiError(raw, 413, 'file_too_large');
    const multipart = await harness.http.post('/images').attach('file', Buffer.concat(tooMuch), 'huge.png').attach('file', png, 'fine.png');
    expect(multipart.status).toBe(202);
    expect((multipart.body.images as UploadItem[]).map((item) => item.error?.code ?? item.status)).toEqual(['file_too_large', 'pending']);
    // A declared length past the limit is refused before a byte is stored.
    expectApiError(await harness.http.post('/images').set('content-type', 'image/png').send(Buffer.concat(tooMuch)), 413, 'file_too_large');
    expect(await uploadedFiles(harness.root)).toEqual([...before, uploadPathOf(png, 'png')].sort());
  });

  it('415 for a text file and for a truncated header; 422 for an empty one; nothing stored', async () => {
    const before = await uploadedFiles(harness.root);
    expectApiError(
      await harness.http.post('/images').set('content-type', 'image/jpeg').send(Buffer.from('plain text behind a .jpg extension\n')),
      415,
      'unsupported_image_type',
    );
    const jpeg = await sharp(await freshPng())
      .jpeg()
      .toBuffer();
    expectApiError(await harness.http.post('/images').set('content-type', 'image/jpeg').send(jpeg.subarray(0, 60)), 415, 'unreadable_image');
    expectApiError(await harness.http.post('/images').set('content-type', 'image/jpeg').send(Buffer.alloc(0)), 422, 'empty_file');
    expect(await uploadedFiles(harness.root)).toEqual(before);
  });

  it('refuses what is not an upload: JSON, a form, a multipart body without a file part', async () => {
    expectApiError(await harness.http.post('/images').send({ path: 'photos/a.jpg' }), 415, 'unsupported_media_type');
    expectApiError(await harness.http.post('/images').type('form').send('file=x'), 415, 'unsupported_media_type');
    expectApiError(await harness.http.post('/images').field('note', 'no file here'), 400, 'file_required');
    expectApiError(await harness.http.post('/images').set('content-type', 'multipart/form-data').send('x'), 400, 'malformed_multipart');
  });

  it('needs the submit scope', async () => {
    const created = await harness.http.post('/keys').send({ name: 'upload reader', scope: 'read' });
    const png = await freshPng();
    expectApiError(await harness.anonymous.post('/images').set('content-type', 'image/png').send(png), 401, 'unauthenticated');
    expectApiError(
      await harness.anonymous
        .post('/images')
        .set(bearer(created.body.key as string))
        .set('content-type', 'image/png')
        .send(png),
      403,
      'insufficient_scope',
    );
    expect(await uploadedFiles(harness.root)).not.toContain(uploadPathOf(png, 'png'));
  });

  it('POST /persons/:id/faces takes an upload: checked and stored as POST /images does, one file only', async () => {
    const person = await harness.http.post('/persons').send({ name: 'Upload Person' });
    expect(person.status).toBe(201);
    const faces = `/persons/${person.body.id}/faces`;
    expectApiError(
      await harness.http.post(faces).set('content-type', 'image/jpeg').send(Buffer.from('not a photo at all\n')),
      415,
      'unsupported_image_type',
    );
    expectApiError(
      await harness.http
        .post(faces)
        .attach('file', await freshPng(), 'a.png')
        .attach('file', await freshPng(), 'b.png'),
      400,
      'too_many_files',
    );
    expectApiError(await harness.http.post(faces).field('note', 'x'), 400, 'file_required');
    // The JSON form is unchanged.
    expectApiError(await harness.http.post(faces).send({}), 400, 'path_required');
  });

  it('OpenAPI describes both forms: multipart file parts and a raw image body (beside JSON for enrolment)', async () => {
    const document = (await harness.anonymous.get('/docs-json')).body as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: unknown }> } } }>;
    };
    const uploadContent = document.paths['/images'].post?.requestBody?.content ?? {};
    expect(Object.keys(uploadContent).sort()).toEqual(['image/*', 'multipart/form-data']);
    expect(uploadContent['multipart/form-data'].schema).toMatchObject({
      properties: { file: { type: 'array', maxItems: MAX_UPLOAD_FILES, items: { format: 'binary' } } },
    });
    expect(uploadContent['image/*'].schema).toEqual({ type: 'string', format: 'binary' });
    const enrolContent = document.paths['/persons/{id}/faces'].post?.requestBody?.content ?? {};
    expect(Object.keys(enrolContent).sort()).toEqual(['application/json', 'image/*', 'multipart/form-data']);
    expect(JSON.stringify(document)).not.toContain('x-visage-upload');
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH } from '@visage/domain';
import { FaceEntity, ImageEntity, ImageRepository, PersonEntity } from '@visage/persistence';
import { TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { ReceiverHarness, startReceiver } from './receiver-harness';
import { MAX_BODY_BYTES } from '../src/common/json-body.middleware';
import { MAX_BATCH_ITEMS } from '../src/images/dto/post-images.dto';
import { until } from '../../../test/support/until';

interface ErrorCase {
  name: string;
  /** A JSON value (sent as JSON) or a raw body with its content type. */
  body?: unknown;
  raw?: { type: string; text: string };
  status: number;
  code: string;
}

/** Every client mistake of POST /image/post and the status and code it must get. */
function imagePostErrorCases(harness: () => ReceiverHarness): ErrorCase[] {
  return [
    { name: 'malformed JSON', raw: { type: 'application/json', text: '{"path": "photos/a.jpg"' }, status: 400, code: 'malformed_json' },
    { name: 'text/plain body', raw: { type: 'text/plain', text: 'photos/a.jpg' }, status: 415, code: 'unsupported_media_type' },
    {
      name: 'form body',
      raw: { type: 'application/x-www-form-urlencoded', text: 'path=photos%2Fa.jpg' },
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'JSON in latin1',
      raw: { type: 'application/json; charset=latin1', text: '{"path":"photos/a.jpg"}' },
      status: 415,
      code: 'unsupported_charset',
    },
    { name: 'body too large', body: { path: 'x'.repeat(MAX_BODY_BYTES) }, status: 413, code: 'body_too_large' },
    { name: 'JSON array', body: [{ path: 'photos/a.jpg' }], status: 400, code: 'body_not_object' },
    { name: 'JSON string', raw: { type: 'application/json', text: '"photos/a.jpg"' }, status: 400, code: 'body_not_object' },
    { name: 'empty object', body: {}, status: 400, code: 'path_required' },
    { name: 'null path', body: { path: null }, status: 400, code: 'path_required' },
    { name: 'empty path', body: { path: '' }, status: 400, code: 'path_required' },
    { name: 'blank path', body: { path: '   ' }, status: 400, code: 'path_required' },
    { name: 'number path', body: { path: 42 }, status: 400, code: 'path_not_string' },
    { name: 'array path', body: { path: ['photos/a.jpg'] }, status: 400, code: 'path_not_string' },
    { name: 'NUL byte', body: { path: 'photos/a.jpg\u0000.png' }, status: 400, code: 'path_invalid' },
    { name: '.. escape', body: { path: '../outside/secret.jpg' }, status: 422, code: 'outside_root' },
    { name: 'nested .. escape', body: { path: 'photos/../../outside/secret.jpg' }, status: 422, code: 'outside_root' },
    { name: 'absolute path outside the root', body: { path: join(harness().outside, 'secret.jpg') }, status: 422, code: 'outside_root' },
    { name: 'symlink leading outside', body: { path: 'escape.jpg' }, status: 422, code: 'outside_root' },
    { name: 'a file under a symlinked directory outside', body: { path: 'linked-out/secret.jpg' }, status: 422, code: 'outside_root' },
    // No existence oracle: a missing file there is refused the same way.
    { name: 'a missing file under a symlinked directory outside', body: { path: 'linked-out/missing.jpg' }, status: 422, code: 'outside_root' },
    { name: 'the root itself', body: { path: '.' }, status: 422, code: 'outside_root' },
    { name: 'missing file', body: { path: 'photos/missing.jpg' }, status: 422, code: 'not_found' },
    { name: 'directory', body: { path: 'dir' }, status: 422, code: 'not_a_file' },
    { name: 'file too large', body: { path: 'big.jpg' }, status: 422, code: 'too_large' },
    { name: 'empty file', body: { path: 'empty.jpg' }, status: 422, code: 'empty_file' },
  ];
}

function expectErrorBody(body: unknown, status: number, code?: string): void {
  expect(body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
  if (code) expect(body).toMatchObject({ code });
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+|stack/i);
}

describe.each(TEST_DRIVERS)('receiver API on $name', (driver) => {
  let harness: ReceiverHarness;
  let dataSource: DataSource;

  beforeAll(async () => {
    harness = await startReceiver(driver);
    dataSource = harness.app.get(DataSource);
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(async () => {
    for (const table of ['faces', 'person_images', 'images', 'persons']) await dataSource.query(`DELETE FROM ${table}`);
    harness.queue.events.length = 0;
    harness.queue.failWith = undefined;
  });

  const post = (path: string) => harness.http.post(path);

  async function submit(path: string): Promise<number> {
    const response = await post('/image/post').send({ path });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    return response.body.id as number;
  }

  async function markFailed(id: number): Promise<void> {
    await dataSource
      .getRepository(ImageEntity)
      .update({ id }, { status: 'failed', attempts: 5, lastError: 'recognizer said no', permanentFailure: true });
  }

  describe('POST /image/post', () => {
    it('stores a pending row under its canonical relative path, then publishes its id', async () => {
      const response = await post('/image/post').send({ path: 'photos/a.jpg' });
      expect(response.status).toBe(202);
      expect(response.body).toEqual({ id: expect.any(Number), status: 'pending' });
      expect(harness.queue.events).toEqual([{ pattern: 'images', data: { imageId: response.body.id, requestId: response.headers['x-request-id'] } }]);
      const stored = await harness.http.get(`/images/${response.body.id}`);
      expect(stored.body).toMatchObject({ id: response.body.id, path: 'photos/a.jpg', status: 'pending', attempts: 0, faces: [] });

      const absolute = await post('/image/post').send({ path: join(harness.root, 'photos', 'b.jpg') });
      expect(absolute.status).toBe(202);
      expect((await harness.http.get(`/images/${absolute.body.id}`)).body.path).toBe('photos/b.jpg');

      const link = await post('/image/post').send({ path: 'alias-of-e.jpg' });
      expect((await harness.http.get(`/images/${link.body.id}`)).body.path).toBe('photos/e.jpg');
    });

    it('answers 409 with the existing id for the same file, however it is spelled', async () => {
      const id = await submit('photos/c.jpg');
      for (const spelling of ['photos/c.jpg', './photos/../photos/c.jpg', join(harness.root, 'photos/c.jpg')]) {
        const response = await post('/image/post').send({ path: spelling });
        expect(response.status, spelling).toBe(409);
        expectErrorBody(response.body, 409, 'duplicate_path');
        expect(response.body.id).toBe(id);
      }
      expect(harness.queue.imageIds()).toEqual([id]);
    });

    it('refuses every client mistake with its own 4xx JSON and stores nothing', async () => {
      for (const testCase of imagePostErrorCases(() => harness)) {
        const request = post('/image/post');
        const response = testCase.raw
          ? await request.set('Content-Type', testCase.raw.type).send(testCase.raw.text)
          : await request.send(testCase.body as object);
        expect(response.status, testCase.name).toBe(testCase.status);
        expect(response.headers['content-type'], testCase.name).toMatch(/application\/json/);
        expectErrorBody(response.body, testCase.status, testCase.code);
      }
      const withoutBody = await post('/image/post');
      expect(withoutBody.status).toBe(400);
      expectErrorBody(withoutBody.body, 400, 'body_required');
      expect((await harness.http.get('/images/counts')).body).toMatchObject({ pending: 0 });
      expect(harness.queue.events).toEqual([]);
    });

    it('still answers 202 and keeps the row when publishing fails, and logs the failure', async () => {
      harness.queue.failWith = new Error('nsqd is down');
      const warn = vi.spyOn((await import('@nestjs/common')).Logger.prototype, 'warn');
      try {
        const response = await post('/image/post').send({ path: 'photos/d.jpg' });
        expect(response.status).toBe(202);
        expect(response.body).toEqual({ id: expect.any(Number), status: 'pending' });
        expect((await harness.http.get(`/images/${response.body.id}`)).body).toMatchObject({ status: 'pending', path: 'photos/d.jpg' });
        expect(warn).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`image ${response.body.id} .*nsqd is down`)));
        // The id was kept: once the queue answers again it is published without anyone asking.
        expect(harness.queue.imageIds()).toEqual([]);
        harness.queue.failWith = undefined;
        await until(() => harness.queue.imageIds().length > 0, 'the held-back image to be published', 10_000);
        expect(harness.queue.imageIds()).toEqual([response.body.id]);
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('POST /images/post', () => {
    it('accepts or rejects each item on its own', async () => {
      const existing = await submit('photos/a.jpg');
      const response = await post('/images/post').send({
        paths: [
          { path: 'photos/b.jpg' },
          { path: 'photos/a.jpg' },
          { path: '../outside/secret.jpg' },
          'photos/c.jpg',
          { path: 'photos/c.jpg' },
          { path: 'photos/c.jpg' },
        ],
      });
      expect(response.status).toBe(202);
      const [b, duplicate, outside, notObject, c, cAgain] = response.body.images;
      expect(b).toEqual({ index: 0, id: expect.any(Number), status: 'pending' });
      expect(duplicate).toMatchObject({ index: 1, id: existing, error: { statusCode: 409, code: 'duplicate_path' } });
      expect(outside).toMatchObject({ index: 2, error: { statusCode: 422, error: 'Unprocessable Entity', code: 'outside_root' } });
      expect(notObject).toMatchObject({ index: 3, error: { statusCode: 400, code: 'item_not_object' } });
      expect(c).toEqual({ index: 4, id: expect.any(Number), status: 'pending' });
      expect(cAgain).toMatchObject({ index: 5, id: c.id, error: { statusCode: 409 } });
      expect(harness.queue.imageIds()).toEqual([existing, b.id, c.id]);
    });

    it.each([
      { name: 'no paths', body: {}, code: 'paths_required' },
      { name: 'paths not an array', body: { paths: 'photos/a.jpg' }, code: 'paths_not_array' },
      { name: 'empty paths', body: { paths: [] }, code: 'paths_empty' },
      { name: 'too many paths', body: { paths: Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => ({ path: 'a' })) }, code: 'paths_too_many' },
      { name: 'array body', body: [], code: 'body_not_object' },
    ])('refuses a bad envelope: $name', async ({ body, code }) => {
      const response = await post('/images/post').send(body);
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400, code);
    });

    it('refuses a wrong content type and malformed JSON', async () => {
      expect((await post('/images/post').set('Content-Type', 'text/plain').send('x')).status).toBe(415);
      const malformed = await post('/images/post').set('Content-Type', 'application/json').send('{"paths": [');
      expect(malformed.status).toBe(400);
      expectErrorBody(malformed.body, 400, 'malformed_json');
    });
  });

  describe('GET /descriptors', () => {
    it('counts the faces and enrolments of the configured recipe, waiting, and failed', async () => {
      const id = await submit('photos/a.jpg');
      const descriptor = Buffer.alloc(DESCRIPTOR_LENGTH * 4);
      const face = { imageId: id, personId: null, box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.9, descriptor };
      // Configured: the default recipe (done); `crop` rows wait for the re-description job, or failed it.
      await dataSource.getRepository(FaceEntity).save([
        { ...face, descriptorRecipe: DEFAULT_DESCRIPTOR_RECIPE },
        { ...face, descriptorRecipe: 'crop' as const },
        { ...face, descriptorRecipe: 'crop' as const, redescriptionError: 'its image file is gone' },
      ]);
      expect((await harness.http.get('/descriptors')).body).toEqual({
        recipe: DEFAULT_DESCRIPTOR_RECIPE,
        enrolments: { done: 0, waiting: 0, failed: 0 },
        faces: { done: 1, waiting: 1, failed: 1 },
      });
    });
  });

  describe('GET /images/:id', () => {
    it('shows which gallery version named the faces, and when', async () => {
      const id = await submit('photos/a.jpg');
      const person = await dataSource.getRepository(PersonEntity).save({ name: 'Grace' });
      const early = new Date('2026-01-02T03:04:05.678Z');
      const late = new Date('2026-01-02T03:09:00.001Z');
      await dataSource.getRepository(FaceEntity).save([
        {
          imageId: id,
          personId: person.id,
          box: { x: 1, y: 2, width: 3, height: 4 },
          score: 0.9,
          distance: 0.3,
          galleryVersion: 7,
          matchedAt: late,
        },
        {
          imageId: id,
          personId: null,
          box: { x: 5, y: 6, width: 7, height: 8 },
          score: 0.8,
          distance: 0.8,
          galleryVersion: 6,
          matchedAt: early,
          qualitySharpness: 12.5,
          qualityYaw: 51,
          qualityPitch: -3,
          qualityRoll: 2,
          lowQuality: true,
          qualityReasons: 'too_small,turned_away',
        },
      ]);
      const response = await harness.http.get(`/images/${id}`);
      expect(response.body).toMatchObject({
        galleryVersion: 6,
        matchedAt: late.toISOString(),
        faces: [
          { galleryVersion: 7, matchedAt: late.toISOString(), quality: { lowQuality: false, reasons: [], sharpness: null, yaw: null } },
          {
            galleryVersion: 6,
            matchedAt: early.toISOString(),
            quality: { lowQuality: true, reasons: ['too_small', 'turned_away'], sharpness: 12.5, yaw: 51, pitch: -3, roll: 2 },
          },
        ],
      });
      const none = await submit('photos/b.jpg');
      expect((await harness.http.get(`/images/${none}`)).body).toMatchObject({ faces: [], galleryVersion: null, matchedAt: null });
    });

    it('returns faces with box, score, person {id, name} or null, and distance', async () => {
      const id = await submit('photos/a.jpg');
      const person = await dataSource.getRepository(PersonEntity).save({ name: 'Katherine' });
      await dataSource.getRepository(FaceEntity).save([
        { imageId: id, personId: person.id, box: { x: 10, y: 20, width: 30, height: 40 }, score: 0.5, distance: 0.25 },
        { imageId: id, personId: null, box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.75, distance: null },
      ]);
      await dataSource.getRepository(ImageEntity).update({ id }, { status: 'processed', width: 100, height: 80 });
      const response = await harness.http.get(`/images/${id}`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id,
        status: 'processed',
        width: 100,
        height: 80,
        lastError: null,
        faces: [
          { box: { x: 10, y: 20, width: 30, height: 40 }, score: 0.5, distance: 0.25, person: { id: person.id, name: 'Katherine' } },
          { box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.75, distance: null, person: null },
        ],
      });
    });

    it.each([
      { id: 'abc', status: 400 },
      { id: '0', status: 400 },
      { id: '-4', status: 400 },
      { id: '1.5', status: 400 },
      { id: '99999999999', status: 400 },
      { id: '2147483647', status: 404 },
    ])('answers $status for id $id', async ({ id, status }) => {
      const response = await harness.http.get(`/images/${id}`);
      expect(response.status).toBe(status);
      expectErrorBody(response.body, status, status === 400 ? 'invalid_id' : 'image_not_found');
    });
  });

  describe('GET /images', () => {
    it('pages newest first with an opaque cursor and filters by status', async () => {
      const ids = [];
      for (const name of ['a', 'b', 'c', 'd', 'e']) ids.push(await submit(`photos/${name}.jpg`));
      await markFailed(ids[1]!);
      await markFailed(ids[3]!);

      const first = await harness.http.get('/images?limit=2');
      expect(first.status).toBe(200);
      expect(first.body.items.map((item: { id: number }) => item.id)).toEqual([ids[4], ids[3]]);
      const second = await harness.http.get('/images').query({ limit: 2, cursor: first.body.nextCursor });
      expect(second.body.items.map((item: { id: number }) => item.id)).toEqual([ids[2], ids[1]]);
      const third = await harness.http.get('/images').query({ limit: 2, cursor: second.body.nextCursor });
      expect(third.body).toMatchObject({ items: [{ id: ids[0], path: 'photos/a.jpg', status: 'pending' }], nextCursor: null });

      const failed = await harness.http.get('/images?status=failed');
      expect(failed.body.items.map((item: { id: number }) => item.id)).toEqual([ids[3], ids[1]]);
      expect(failed.body.items[0]).toMatchObject({ attempts: 5, lastError: 'recognizer said no', permanentFailure: true });
      expect((await harness.http.get('/images/counts')).body).toEqual({
        pending: 3,
        processing: 0,
        retrying: 0,
        processed: 0,
        unrecognized: 0,
        failed: 2,
      });
    });

    it('lists where a person appears: ?person= and GET /persons/:id/images, keyset paginated', async () => {
      const grace = await dataSource.getRepository(PersonEntity).save({ name: 'Grace' });
      const alan = await dataSource.getRepository(PersonEntity).save({ name: 'Alan' });
      const ids = [];
      for (const name of ['a', 'b', 'c', 'd']) ids.push(await submit(`photos/${name}.jpg`));
      const face = { box: { x: 1, y: 2, width: 3, height: 4 }, score: 0.9, distance: 0.3 };
      await dataSource.getRepository(FaceEntity).save([
        { ...face, imageId: ids[0]!, personId: grace.id },
        { ...face, imageId: ids[1]!, personId: alan.id },
        { ...face, imageId: ids[2]!, personId: grace.id },
        { ...face, imageId: ids[2]!, personId: grace.id },
        { ...face, imageId: ids[3]!, personId: grace.id },
      ]);
      const byQuery = await harness.http.get(`/images?person=${grace.id}`);
      expect(byQuery.body.items.map((item: { id: number }) => item.id)).toEqual([ids[3], ids[2], ids[0]]);

      const first = await harness.http.get(`/persons/${grace.id}/images?limit=2`);
      expect(first.status).toBe(200);
      expect(first.body.items.map((item: { id: number }) => item.id)).toEqual([ids[3], ids[2]]);
      const second = await harness.http.get(`/persons/${grace.id}/images`).query({ limit: 2, cursor: first.body.nextCursor });
      expect(second.body).toMatchObject({ items: [{ id: ids[0], path: 'photos/a.jpg' }], nextCursor: null });
      expect((await harness.http.get(`/persons/${alan.id}/images`)).body.items.map((item: { id: number }) => item.id)).toEqual([ids[1]]);

      const nobody = await harness.http.get('/persons/2147483647/images');
      expect(nobody.status).toBe(404);
      expectErrorBody(nobody.body, 404, 'person_not_found');
      expectErrorBody((await harness.http.get(`/persons/${grace.id}/images?limit=0`)).body, 400, 'invalid_limit');
      expectErrorBody((await harness.http.get('/persons/x/images')).body, 400, 'invalid_id');
    });

    it.each([
      { query: 'person=0', code: 'invalid_person' },
      { query: 'person=ada', code: 'invalid_person' },
      { query: 'person=1&person=2', code: 'invalid_person' },
      { query: 'status=done', code: 'invalid_status' },
      { query: 'status=failed&status=pending', code: 'invalid_status' },
      { query: 'limit=0', code: 'invalid_limit' },
      { query: 'limit=201', code: 'invalid_limit' },
      { query: 'limit=ten', code: 'invalid_limit' },
      { query: 'cursor=not-a-cursor', code: 'invalid_cursor' },
    ])('refuses ?$query', async ({ query, code }) => {
      const response = await harness.http.get(`/images?${query}`);
      expect(response.status).toBe(400);
      expectErrorBody(response.body, 400, code);
    });
  });

  describe('POST /images/:id/retry', () => {
    it('re-queues a failed image and refuses anything else', async () => {
      const id = await submit('photos/a.jpg');
      const conflict = await post(`/images/${id}/retry`);
      expect(conflict.status).toBe(409);
      expectErrorBody(conflict.body, 409, 'not_failed');

      await markFailed(id);
      harness.queue.events.length = 0;
      const retried = await post(`/images/${id}/retry`);
      expect(retried.status).toBe(202);
      expect(retried.body).toEqual({ id, status: 'pending' });
      expect(harness.queue.imageIds()).toEqual([id]);
      expect((await harness.http.get(`/images/${id}`)).body).toMatchObject({ status: 'pending', attempts: 0, permanentFailure: false });

      expect((await post(`/images/${id + 1000}/retry`)).status).toBe(404);
      expect((await post('/images/x/retry')).status).toBe(400);
    });
  });

  describe('persons', () => {
    it('creates, lists, reads and deletes people', async () => {
      const created = await post('/persons').send({ name: '  Hedy Lamarr ' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: expect.any(Number), name: 'Hedy Lamarr', faceCount: 0, knownFaceCount: 0 });
      const other = await post('/persons').send({ name: 'Alan Turing' });

      const duplicate = await post('/persons').send({ name: 'Hedy Lamarr' });
      expect(duplicate.status).toBe(409);
      expectErrorBody(duplicate.body, 409, 'duplicate_name');
      expect(duplicate.body.id).toBe(created.body.id);
      const sameIgnoringCase = await post('/persons').send({ name: 'HEDY LAMARR' });
      expectErrorBody(sameIgnoringCase.body, 409, 'duplicate_name');
      expect(sameIgnoringCase.body).toMatchObject({
        id: created.body.id,
        message: 'a person named "HEDY LAMARR" already exists as "Hedy Lamarr" (names ignore case)',
      });

      await post('/persons').send({ name: 'bob' });
      const list = await harness.http.get('/persons');
      expect(list.status).toBe(200);
      // Ignoring case (as the dashboard lists them): "bob" between "Alan" and "Hedy", not after them.
      expect(list.body.items.map((person: { name: string }) => person.name)).toEqual(['Alan Turing', 'bob', 'Hedy Lamarr']);
      expect((await harness.http.get(`/persons/${other.body.id}`)).body).toMatchObject({ id: other.body.id, name: 'Alan Turing' });

      // Renaming: a name another person holds, also differing only in case, is refused; the own name's case may change.
      const clash = await harness.http.patch(`/persons/${created.body.id}`).send({ name: 'alan TURING' });
      expectErrorBody(clash.body, 409, 'duplicate_name');
      expect(clash.body.id).toBe(other.body.id);
      const recased = await harness.http.patch(`/persons/${created.body.id}`).send({ name: 'HEDY LAMARR' });
      expect(recased.status, JSON.stringify(recased.body)).toBe(200);
      expect(recased.body).toMatchObject({ id: created.body.id, name: 'HEDY LAMARR' });
      const renamed = await harness.http.patch(`/persons/${created.body.id}`).send({ name: ' Hedy Kiesler ' });
      expect(renamed.body).toMatchObject({ id: created.body.id, name: 'Hedy Kiesler' });
      expect((await post('/persons').send({ name: 'hedy lamarr' })).status).toBe(201);
      expectErrorBody((await harness.http.patch('/persons/2000000000').send({ name: 'Nobody' })).body, 404, 'person_not_found');
      expectErrorBody((await harness.http.patch(`/persons/${created.body.id}`).send({ name: '' })).body, 400);
      const audit = await dataSource.query<Array<{ details: string }>>(
        "SELECT details FROM audit_events WHERE action = 'person.renamed' ORDER BY id",
      );
      expect(audit.map((row) => JSON.parse(row.details))).toEqual([
        { from: 'Hedy Lamarr', to: 'HEDY LAMARR' },
        { from: 'HEDY LAMARR', to: 'Hedy Kiesler' },
      ]);

      expect((await harness.http.delete(`/persons/${created.body.id}`)).status).toBe(204);
      const gone = await harness.http.get(`/persons/${created.body.id}`);
      expect(gone.status).toBe(404);
      expectErrorBody(gone.body, 404, 'person_not_found');
      expect((await harness.http.delete(`/persons/${created.body.id}`)).status).toBe(404);
      expect((await harness.http.delete('/persons/abc')).status).toBe(400);
      expect((await harness.http.get('/persons/0')).status).toBe(400);
    });

    it.each([
      { name: 'missing name', body: {}, status: 400, code: 'name_required' },
      { name: 'empty name', body: { name: ' ' }, status: 400, code: 'name_required' },
      { name: 'number name', body: { name: 7 }, status: 400, code: 'name_not_string' },
      { name: 'control characters', body: { name: 'a\nb' }, status: 400, code: 'name_invalid' },
      { name: 'a C1 control', body: { name: 'a\u0085b' }, status: 400, code: 'name_invalid' },
      { name: 'a bidirectional override', body: { name: 'Ada\u202eecalovoL' }, status: 400, code: 'name_invalid' },
      { name: 'too long', body: { name: 'x'.repeat(256) }, status: 400, code: 'name_too_long' },
      { name: 'array body', body: ['Ada'], status: 400, code: 'body_not_object' },
    ])('refuses $name', async ({ body, status, code }) => {
      const response = await post('/persons').send(body);
      expect(response.status).toBe(status);
      expectErrorBody(response.body, status, code);
    });

    it('refuses a wrong content type and malformed JSON', async () => {
      expect((await post('/persons').set('Content-Type', 'text/plain').send('Ada')).status).toBe(415);
      expect((await post('/persons').set('Content-Type', 'application/json').send('{name:')).status).toBe(400);
    });
  });

  describe('everything else', () => {
    it('answers unknown routes and methods with a JSON 404 carrying a code', async () => {
      for (const response of [await harness.http.get('/nope'), await harness.http.put('/persons/14').send({ name: 'x' })]) {
        expect(response.status).toBe(404);
        expectErrorBody(response.body, 404, 'route_not_found');
      }
    });

    it('turns an unexpected failure into a plain 500 without details', async () => {
      const repository = harness.app.get(ImageRepository);
      const failure = vi.spyOn(repository, 'findById').mockRejectedValueOnce(new Error('secret connection string in here'));
      const response = await harness.http.get('/images/1');
      failure.mockRestore();
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal server error' });
    });

    it('serves health and the OpenAPI document', async () => {
      expect((await harness.http.get('/health/live')).body).toEqual({ status: 'ok' });
      const ready = await harness.http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
      expect((await harness.http.get('/docs')).text).toMatch(/swagger/i);
      const document = await harness.http.get('/docs-json');
      expect(Object.keys(document.body.paths)).toEqual(
        expect.arrayContaining([
          '/image/post',
          '/images/post',
          '/images',
          '/images/{id}',
          '/images/{id}/retry',
          '/persons',
          '/persons/{id}',
          '/persons/{id}/images',
        ]),
      );
      // The key is opaque (vsk_…), not a JWT: the UI must not say otherwise.
      expect(document.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'API key (vsk_…)' });
      expect(JSON.stringify(document.body)).not.toContain('JWT');
    });
  });
});

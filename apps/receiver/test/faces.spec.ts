import { join } from 'node:path';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FaceEntity,
  FaceRejectionEntity,
  FaceReviewRepository,
  ImageEntity,
  PersonEntity,
  PersonImageEntity,
  readGalleryVersion,
} from '@visage/persistence';
import { Rows, TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { expectApiError, ReceiverHarness, startReceiver } from './receiver-harness';

/** A 200×100 picture: grey, with a red 40×40 square at (120, 30) where the "face" is. */
const PICTURE = { width: 200, height: 100, face: { x: 120, y: 30, width: 40, height: 40 } };

describe.each(TEST_DRIVERS)('face review API on $name', (driver) => {
  let harness: ReceiverHarness;
  let dataSource: DataSource;
  let rows: Rows;

  beforeAll(async () => {
    harness = await startReceiver(driver);
    dataSource = harness.app.get(DataSource);
    rows = new Rows(dataSource);
    const { face } = PICTURE;
    await sharp({ create: { width: PICTURE.width, height: PICTURE.height, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .composite([
        { input: { create: { width: face.width, height: face.height, channels: 3, background: { r: 255, g: 0, b: 0 } } }, left: face.x, top: face.y },
      ])
      .png()
      .toFile(join(harness.root, 'photos', 'face.png'));
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(async () => {
    for (const table of ['face_rejections', 'faces', 'person_images', 'images', 'persons']) await dataSource.query(`DELETE FROM ${table}`);
  });

  /** An unrecognized image with one face that has a descriptor (as the processor stores it). */
  async function unknownFace(path = 'photos/face.png', withDescriptor = true): Promise<FaceEntity> {
    const image = await rows.image(path, { status: 'unrecognized' });
    const face = await rows.face(image.id, null, PICTURE.face);
    const descriptor = Buffer.alloc(512);
    descriptor.writeFloatLE(0.25, 0);
    await dataSource
      .getRepository(FaceEntity)
      .update({ id: face.id }, { descriptor: withDescriptor ? descriptor : null, galleryVersion: withDescriptor ? 1 : null });
    return face;
  }

  const faceRow = (id: number) => dataSource.getRepository(FaceEntity).findOneByOrFail({ id });
  const imageRow = (id: number) => dataSource.getRepository(ImageEntity).findOneByOrFail({ id });

  it('POST /faces/:id/assign {"name"}: creates the person, enrols the face (review:<id>), bumps the gallery, names the image at once', async () => {
    const face = await unknownFace();
    const before = await readGalleryVersion(dataSource);
    const response = await harness.http.post(`/faces/${face.id}/assign`).send({ name: '  Grace Hopper ' });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const person = await dataSource.getRepository(PersonEntity).findOneByOrFail({ name: 'Grace Hopper' });
    expect(response.body).toEqual({
      faceId: face.id,
      imageId: face.imageId,
      personId: person.id,
      personName: 'Grace Hopper',
      galleryVersion: before + 1,
      previousPersonId: null,
    });
    const enrolled = await dataSource.getRepository(PersonImageEntity).findOneByOrFail({ sourceName: `review:${face.id}` });
    expect(enrolled.personId).toBe(person.id);
    expect(enrolled.descriptor.readFloatLE(0)).toBeCloseTo(0.25, 6);
    expect(await faceRow(face.id)).toMatchObject({ personId: person.id, distance: 0, galleryVersion: before + 1 });
    expect(await imageRow(face.imageId)).toMatchObject({ status: 'processed' });

    // Again to an existing person by id: the face's enrolment moves, nothing is duplicated.
    const other = await rows.person('Alan Turing');
    const moved = await harness.http.post(`/faces/${face.id}/assign`).send({ personId: other.id });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ personId: other.id, personName: 'Alan Turing', galleryVersion: before + 2, previousPersonId: person.id });
    expect(await dataSource.getRepository(PersonImageEntity).findBy({ sourceName: `review:${face.id}` })).toEqual([
      expect.objectContaining({ personId: other.id }),
    ]);
    // A name that exists already is that person, not a duplicate.
    const byName = await harness.http.post(`/faces/${face.id}/assign`).send({ name: 'Grace Hopper' });
    expect(byName.body).toMatchObject({ personId: person.id });
    expect(await dataSource.getRepository(PersonEntity).count()).toBe(2);
    // The person created by the first assignment is audited with its id, once; the others name existing persons.
    const audit = (await harness.http.get('/audit?limit=10')).body.items as Array<{
      action: string;
      target: string;
      actor: string;
      details: unknown;
    }>;
    expect(audit.filter((row) => row.action === 'person.created')).toEqual([
      expect.objectContaining({ target: `person:${person.id}`, actor: expect.stringMatching(/^key:\d+$/), details: { name: 'Grace Hopper' } }),
    ]);
    expect(audit.flatMap((row) => (row.action.startsWith('key.') ? [] : [row.action])).reverse()).toEqual([
      'person.created',
      'face.assigned',
      'face.moved',
      'face.moved',
    ]);
    // One differing only in case is refused (names are unique ignoring case), changing nothing…
    const clash = await harness.http.post(`/faces/${face.id}/assign`).send({ name: 'GRACE HOPPER' });
    expectApiError(clash, 409, 'duplicate_name');
    expect(clash.body).toMatchObject({ id: person.id, message: expect.stringContaining('"Grace Hopper"') });
    // …also when such a person appears after the check: the naming transaction's guard refuses it.
    const version = await readGalleryVersion(dataSource);
    await expect(harness.app.get(FaceReviewRepository).assign(face.id, { name: 'gRACE hOPPER' })).rejects.toMatchObject({ code: 'duplicate_name' });
    expect(await dataSource.getRepository(PersonEntity).count()).toBe(2);
    expect(await readGalleryVersion(dataSource)).toBe(version);
    expect(await faceRow(face.id)).toMatchObject({ personId: person.id });
  });

  it('POST /faces/:id/assign refuses bad input with a code', async () => {
    const face = await unknownFace();
    const legacy = await unknownFace('photos/a.jpg', false);
    const assign = (id: number | string, body: unknown) => harness.http.post(`/faces/${id}/assign`).send(body as object);
    expectApiError(await assign(2_000_000_000, { name: 'Ada' }), 404, 'face_not_found');
    expectApiError(await assign(face.id, { personId: 2_000_000_000 }), 404, 'person_not_found');
    expectApiError(await assign('abc', { name: 'Ada' }), 400, 'invalid_id');
    expectApiError(await assign(face.id, { name: '' }), 400, 'name_required');
    expectApiError(await assign(face.id, { name: '   ' }), 400, 'name_required');
    expectApiError(await assign(face.id, {}), 400, 'name_required');
    expectApiError(await assign(face.id, { name: 42 }), 400, 'name_not_string');
    expectApiError(await assign(face.id, { name: ['Ada'] }), 400, 'name_not_string');
    expectApiError(await assign(face.id, { personId: 'x' }), 400, 'invalid_person_id');
    expectApiError(await assign(face.id, { personId: 1.5 }), 400, 'invalid_person_id');
    expectApiError(await assign(face.id, { personId: 1, name: 'Ada' }), 400, 'ambiguous_person');
    expectApiError(await assign(face.id, [1]), 400, 'body_not_object');
    expectApiError(await assign(legacy.id, { name: 'Ada' }), 409, 'face_without_descriptor');
    const blurred = await unknownFace('photos/b.jpg');
    await dataSource.getRepository(FaceEntity).update({ id: blurred.id }, { lowQuality: true, qualityReasons: 'blurred' });
    expectApiError(await assign(blurred.id, { name: 'Ada' }), 422, 'low_quality');
    // None of it changed anything.
    expect(await dataSource.getRepository(PersonEntity).count()).toBe(0);
    expect(await faceRow(face.id)).toMatchObject({ personId: null });
  });

  it('POST /faces/:id/assign is one transaction: a database failure mid-way leaves nothing half-applied', async () => {
    const face = await unknownFace();
    const before = await readGalleryVersion(dataSource);
    const mysql = driver.name === 'mariadb';
    await dataSource.query(
      mysql
        ? "CREATE TRIGGER fail_enrolment BEFORE INSERT ON person_images FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'disk on fire'"
        : "CREATE TRIGGER fail_enrolment BEFORE INSERT ON person_images BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    );
    try {
      const response = await harness.http.post(`/faces/${face.id}/assign`).send({ name: 'Grace Hopper' });
      expect(response.status).toBe(500);
      expect(JSON.stringify(response.body)).not.toMatch(/disk on fire|stack/);
    } finally {
      await dataSource.query('DROP TRIGGER fail_enrolment');
    }
    expect(await dataSource.getRepository(PersonEntity).count()).toBe(0);
    expect(await readGalleryVersion(dataSource)).toBe(before);
    expect(await faceRow(face.id)).toMatchObject({ personId: null });
    expect(await imageRow(face.imageId)).toMatchObject({ status: 'unrecognized' });
  });

  it('POST /faces/:id/reject: unnames the face, stores the rejection, drops its own review enrolment', async () => {
    const face = await unknownFace();
    const assigned = await harness.http.post(`/faces/${face.id}/assign`).send({ name: 'Grace Hopper' });
    const version = await readGalleryVersion(dataSource);
    const response = await harness.http.post(`/faces/${face.id}/reject`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({
      faceId: face.id,
      imageId: face.imageId,
      rejectedPersonId: assigned.body.personId,
      rejectedPersonName: 'Grace Hopper',
    });
    expect(await faceRow(face.id)).toMatchObject({ personId: null, galleryVersion: 0 });
    expect(await imageRow(face.imageId)).toMatchObject({ status: 'unrecognized' });
    expect(await dataSource.getRepository(FaceRejectionEntity).findBy({ faceId: face.id })).toEqual([
      expect.objectContaining({ personId: assigned.body.personId }),
    ]);
    expect(await dataSource.getRepository(PersonImageEntity).countBy({ sourceName: `review:${face.id}` })).toBe(0);
    expect(await readGalleryVersion(dataSource)).toBe(version + 1);

    expectApiError(await harness.http.post(`/faces/${face.id}/reject`), 409, 'face_not_named');
    expectApiError(await harness.http.post('/faces/2000000000/reject'), 404, 'face_not_found');
    expectApiError(await harness.http.post('/faces/0/reject'), 400, 'invalid_id');
    // Assigning the face to the rejected person again lifts the rejection.
    await harness.http.post(`/faces/${face.id}/assign`).send({ personId: assigned.body.personId });
    expect(await dataSource.getRepository(FaceRejectionEntity).countBy({ faceId: face.id })).toBe(0);
  });

  it('GET /faces/:id/crop: the face cut by its box (with a margin), WebP, cached by ETag', async () => {
    const face = await unknownFace();
    const response = await harness.http
      .get(`/faces/${face.id}/crop`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('image/webp');
    const body = response.body as Buffer;
    const meta = await sharp(body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 160, 160]);
    // The middle of the crop is the red square; its corner is the grey margin around it.
    const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    const [r, g] = pixel(80, 80);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(Math.abs(pixel(2, 2)[0] - 128)).toBeLessThan(30);

    const again = await harness.http.get(`/faces/${face.id}/crop`).set('If-None-Match', String(response.headers.etag));
    expect(again.status).toBe(304);
    expectApiError(await harness.http.get('/faces/2000000000/crop'), 404, 'face_not_found');
    const gone = await unknownFace('photos/missing.png');
    expectApiError(await harness.http.get(`/faces/${gone.id}/crop`), 404, 'image_unavailable');
    const notAnImage = await unknownFace('photos/b.jpg');
    expectApiError(await harness.http.get(`/faces/${notAnImage.id}/crop`), 422, 'crop_failed');
  });

  it('documents the face routes in OpenAPI', async () => {
    const spec = await harness.http.get('/docs-json');
    expect(Object.keys(spec.body.paths ?? {})).toEqual(expect.arrayContaining(['/faces/{id}/assign', '/faces/{id}/reject', '/faces/{id}/crop']));
  });
});

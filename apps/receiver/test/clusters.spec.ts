import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import {
  ClusteringRepository,
  encodeDescriptor,
  FaceEntity,
  ImageEntity,
  PersonEntity,
  PersonImageEntity,
  readGalleryVersion,
} from '@visage/persistence';
import { Rows, TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { expectApiError, ReceiverHarness } from './receiver-harness';
import { useReviewReceiver, writeGroup } from './review-fixtures';

describe.each(TEST_DRIVERS)('unknown people API on $name', (driver) => {
  const context = useReviewReceiver(driver);
  let harness: ReceiverHarness;
  let dataSource: DataSource;
  let rows: Rows;
  let clustering: ClusteringRepository;
  beforeAll(() => ({ harness, dataSource, rows, clustering } = context));

  let counter = 0;
  /** The audit log, oldest first, as admins read it. */
  const auditLog = async () =>
    ((await harness.http.get('/audit?limit=100')).body.items as Array<{ action: string; target: string; actor: string; details: unknown }>)
      .reverse()
      .map(({ action, target, details }) => ({ action, target, details }));

  /**
   * A group of `size` unknown faces, the first two in one image, as the clustering job writes it, with the given
   * cohesion (null for one face) and outliers (indexes into its faces).
   */
  async function group(
    size: number,
    cohesion: number | null = size > 1 ? 0.4 : null,
    outliers: number[] = [],
  ): Promise<{ id: number; faces: number[]; images: number[] }> {
    const faces: number[] = [];
    const images: number[] = [];
    for (let index = 0; index < size; index++) {
      if (index !== 1) images.push((await rows.image(`people/${++counter}.jpg`, { status: 'unrecognized' })).id);
      const face = await rows.face(images[images.length - 1], null);
      const values = new Float32Array(DESCRIPTOR_LENGTH);
      values[0] = index / 100;
      const descriptor = encodeDescriptor(values);
      // Of the configured recipe, as the clustering job groups only those (and the naming checks compare only those).
      await dataSource
        .getRepository(FaceEntity)
        .update({ id: face.id }, { descriptor, descriptorRecipe: harness.config.FACE_DESCRIPTOR_RECIPE, galleryVersion: 1 });
      faces.push(face.id);
    }
    return { id: await writeGroup(clustering, faces, { cohesion, outliers: outliers.map((index) => faces[index]) }), faces, images };
  }

  it('GET /clusters: most cohesive first, groups of one face last, keyset paginated, outliers marked; GET /clusters/:id: every face', async () => {
    const loose = await group(2, 0.52);
    const large = await group(6, 0.3, [5]);
    const single = await group(1);
    const middle = await group(3, 0.41);
    const tie = await group(3, 0.41);
    const otherSingle = await group(1);
    const first = await harness.http.get('/clusters?limit=2');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.items.map((item: { id: number }) => item.id)).toEqual([large.id, middle.id]);
    expect(first.body.items[0]).toMatchObject({ size: 6, imageCount: 5, ignored: false, cohesion: 0.3, outlierCount: 1 });
    expect(first.body.items[0].sampleFaces.map((face: { faceId: number }) => face.faceId)).toEqual(large.faces.slice(0, 4));
    expect(first.body.items[0].sampleFaces[0]).toEqual({
      faceId: large.faces[0],
      imageId: large.images[0],
      path: expect.stringMatching(/^people\//),
      box: { x: 10, y: 20, width: 30, height: 40 },
      cropUrl: `/faces/${large.faces[0]}/crop`,
      outlier: false,
    });
    expect(first.body.items[0].outlierFaces).toEqual([expect.objectContaining({ faceId: large.faces[5], outlier: true })]);
    // Pages cross the equal cohesions (ordered by id) and the groups of one face (no cohesion, last).
    const second = await harness.http.get('/clusters').query({ limit: 2, cursor: first.body.nextCursor });
    expect(second.body.items.map((item: { id: number }) => item.id)).toEqual([tie.id, loose.id]);
    const third = await harness.http.get('/clusters').query({ limit: 2, cursor: second.body.nextCursor });
    expect(third.body).toEqual({
      items: [
        expect.objectContaining({ id: single.id, size: 1, imageCount: 1, cohesion: null, outlierFaces: [] }),
        expect.objectContaining({ id: otherSingle.id }),
      ],
      nextCursor: null,
    });
    const endingInSingles = await harness.http.get('/clusters?limit=5');
    expect(endingInSingles.body.items.at(-1).id).toBe(single.id);
    expect((await harness.http.get('/clusters').query({ cursor: endingInSingles.body.nextCursor })).body).toEqual({
      items: [expect.objectContaining({ id: otherSingle.id })],
      nextCursor: null,
    });

    const detail = await harness.http.get(`/clusters/${large.id}`);
    expect(detail.body.faces.map((face: { faceId: number }) => face.faceId)).toEqual(large.faces);
    expect(detail.body.faces.map((face: { outlier: boolean }) => face.outlier)).toEqual([false, false, false, false, false, true]);

    expectApiError(await harness.http.get('/clusters?limit=0'), 400, 'invalid_limit');
    expectApiError(await harness.http.get('/clusters?cursor=nonsense'), 400, 'invalid_cursor');
    expectApiError(await harness.http.get('/clusters/2000000000'), 404, 'cluster_not_found');
    expectApiError(await harness.http.get('/clusters/x'), 400, 'invalid_id');
  });

  it('POST /clusters/:id/name: every face enrolled (review:<faceId>) and named in one transaction, the group gone', async () => {
    const ada = await group(3);
    const before = await readGalleryVersion(dataSource);
    const response = await harness.http.post(`/clusters/${ada.id}/name`).send({ name: 'Ada Lovelace' });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const person = await dataSource.getRepository(PersonEntity).findOneByOrFail({ name: 'Ada Lovelace' });
    expect(response.body).toEqual({
      clusterId: ada.id,
      personId: person.id,
      personName: 'Ada Lovelace',
      faceIds: ada.faces,
      galleryVersion: before + 1,
    });
    const enrolled = await dataSource.getRepository(PersonImageEntity).find({ order: { sourceName: 'ASC' } });
    expect(enrolled.map((row) => [row.sourceName, row.personId]).sort()).toEqual(ada.faces.map((faceId) => [`review:${faceId}`, person.id]).sort());
    for (const faceId of ada.faces)
      expect(await dataSource.getRepository(FaceEntity).findOneByOrFail({ id: faceId })).toMatchObject({ personId: person.id });
    for (const imageId of ada.images)
      expect(await dataSource.getRepository(ImageEntity).findOneByOrFail({ id: imageId })).toMatchObject({ status: 'processed' });
    expectApiError(await harness.http.get(`/clusters/${ada.id}`), 404, 'cluster_not_found');
    expectApiError(await harness.http.post(`/clusters/${ada.id}/name`).send({ name: 'Ada' }), 404, 'cluster_not_found');

    // An existing person by id.
    const bob = await group(2);
    const named = await harness.http.post(`/clusters/${bob.id}/name`).send({ personId: person.id });
    expect(named.body).toMatchObject({ personId: person.id, faceIds: bob.faces });
    // Naming the first group created the person: audited with its id, before the naming; the second created nobody.
    expect(await auditLog()).toEqual([
      { action: 'person.created', target: `person:${person.id}`, details: { name: 'Ada Lovelace' } },
      { action: 'face.assigned', target: `cluster:${ada.id}`, details: { faces: 3, leftOut: 0, personId: person.id } },
      { action: 'face.assigned', target: `cluster:${bob.id}`, details: { faces: 2, leftOut: 0, personId: person.id } },
    ]);
  });

  it('refuses bad input, ignored groups and unknown persons, changing nothing', async () => {
    const ada = await group(2);
    const name = (id: number | string, body: unknown) => harness.http.post(`/clusters/${id}/name`).send(body as object);
    expectApiError(await name(ada.id, { name: '' }), 400, 'name_required');
    expectApiError(await name(ada.id, { name: 7 }), 400, 'name_not_string');
    expectApiError(await name(ada.id, { personId: 2_000_000_000 }), 404, 'person_not_found');
    expectApiError(await name(2_000_000_000, { name: 'Ada' }), 404, 'cluster_not_found');
    // Names are unique ignoring case: "ADA LOVELACE" beside "Ada Lovelace" is refused, not a second person.
    const existing = await rows.person('Ada Lovelace');
    const clash = await name(ada.id, { name: 'ADA LOVELACE' });
    expectApiError(clash, 409, 'duplicate_name');
    expect(clash.body.id).toBe(existing.id);
    await dataSource.getRepository(PersonEntity).delete({ id: existing.id });

    const ignored = await harness.http.post(`/clusters/${ada.id}/ignore`);
    expect(ignored.status).toBe(200);
    expect(ignored.body).toMatchObject({ id: ada.id, ignored: true });
    expect((await harness.http.get('/clusters')).body.items).toEqual([]);
    expectApiError(await name(ada.id, { name: 'Ada' }), 409, 'cluster_ignored');
    expectApiError(await harness.http.post(`/faces/${ada.faces[0]}/assign`).send({ name: 'Ada' }), 409, 'face_ignored');
    expectApiError(await harness.http.post('/clusters/2000000000/ignore'), 404, 'cluster_not_found');
    expect(await dataSource.getRepository(PersonEntity).count()).toBe(0);
    expect(await dataSource.getRepository(PersonImageEntity).count()).toBe(0);
    // Ignoring is audited; the refusals changed nothing and wrote nothing.
    expect(await auditLog()).toEqual([{ action: 'cluster.ignored', target: `cluster:${ada.id}`, details: null }]);
  });

  it('DELETE /clusters/:id/faces/:faceId: "not the same person" takes one face out', async () => {
    const ada = await group(3);
    const removed = await harness.http.delete(`/clusters/${ada.id}/faces/${ada.faces[2]}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    expect((await harness.http.get(`/clusters/${ada.id}`)).body).toMatchObject({
      size: 2,
      faces: [expect.objectContaining({ faceId: ada.faces[0] }), expect.objectContaining({ faceId: ada.faces[1] })],
    });
    // A cannot-link: the clustering job may group the face again, never with this group.
    expect(await dataSource.query('SELECT face_id AS faceId, cluster_id AS clusterId FROM cluster_exclusions')).toEqual([
      { faceId: ada.faces[2], clusterId: ada.id },
    ]);
    expectApiError(await harness.http.delete(`/clusters/${ada.id}/faces/${ada.faces[2]}`), 404, 'face_not_in_cluster');
    expectApiError(await harness.http.delete(`/clusters/2000000000/faces/${ada.faces[0]}`), 404, 'cluster_not_found');
    expectApiError(await harness.http.delete(`/clusters/${ada.id}/faces/abc`), 400, 'invalid_id');
    // Naming the group now enrols the two remaining faces only.
    const named = await harness.http.post(`/clusters/${ada.id}/name`).send({ name: 'Ada' });
    expect(named.body.faceIds).toEqual(ada.faces.slice(0, 2));
    expect((await auditLog())[0]).toEqual({ action: 'cluster.face_removed', target: `cluster:${ada.id}`, details: { faceId: ada.faces[2] } });
    expect((await auditLog()).filter((row) => row.action === 'cluster.face_removed')).toHaveLength(1);
  });

  it('documents the cluster routes in OpenAPI', async () => {
    const document = await harness.http.get('/docs-json');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/clusters', '/clusters/{id}', '/clusters/{id}/name', '/clusters/{id}/ignore', '/clusters/{id}/faces/{faceId}']),
    );
  });
});

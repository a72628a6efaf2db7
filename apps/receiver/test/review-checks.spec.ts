import { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { DescriptorRecipe, padDescriptor, RECIPE_OPERATING_POINTS } from '@visage/domain';
import {
  ClusteringRepository,
  encodeDescriptor,
  FaceEntity,
  FaceRejectionEntity,
  PersonEntity,
  PersonImageEntity,
  readGalleryVersion,
} from '@visage/persistence';
import { Rows, TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { expectApiError, ReceiverHarness } from './receiver-harness';
import { useReviewReceiver, writeGroup } from './review-fixtures';

/**
 * A stored descriptor with these values on the first axes and 0 elsewhere, so distances are easy to tell. The rules are
 * what this spec is about, not a recipe's distribution: "near" here is at most 0.3 and "far" at least 1, clear of every
 * recipe's MATCH_THRESHOLD and enrolment-disagreement bound, so it runs at the default recipe's operating point
 * (checked in beforeAll).
 */
function descriptor(...values: number[]): Buffer {
  return encodeDescriptor(padDescriptor(Float32Array.from(values)));
}

/** The largest distance the fixtures mean as "the same person", and the smallest they mean as "someone else". */
const NEAR = 0.3;
const FAR = 1;

describe.each(TEST_DRIVERS)('review checks, merge and flags on $name', (driver) => {
  const context = useReviewReceiver(driver);
  let harness: ReceiverHarness;
  let dataSource: DataSource;
  let rows: Rows;
  let clustering: ClusteringRepository;
  let counter = 0;
  /** The configured recipe (the default): the only one whose rows the repositories hand to the checks. */
  let recipe: DescriptorRecipe;
  beforeAll(() => {
    ({ harness, dataSource, rows, clustering } = context);
    recipe = harness.config.FACE_DESCRIPTOR_RECIPE;
    // The fixtures' geometry holds only while the operating point lies between their near and far distances.
    for (const bound of [harness.config.MATCH_THRESHOLD, RECIPE_OPERATING_POINTS[recipe].enrolmentDisagreement]) {
      expect(bound).toBeGreaterThan(NEAR);
      expect(bound).toBeLessThan(FAR);
    }
  });

  /** A person with one enrolment per descriptor (sources `path:<name>-<n>.jpg`). */
  async function person(name: string, ...enrolments: Buffer[]): Promise<{ id: number; enrolments: number[] }> {
    const created = await rows.person(name);
    const ids: number[] = [];
    for (const value of enrolments) {
      const enrolled = await rows.enrolled(created.id, `path:${name}-${++counter}.jpg`);
      await dataSource.getRepository(PersonImageEntity).update({ id: enrolled.id }, { descriptor: value, descriptorRecipe: recipe });
      ids.push(enrolled.id);
    }
    // Behind the repositories' back: move the version as they would, so the checks see these enrolments.
    await dataSource.query('UPDATE gallery_state SET version = version + 1');
    return { id: created.id, enrolments: ids };
  }

  /** A face with a descriptor in an image of its own, named after `named` (as the matcher would) or unknown. */
  async function face(value: Buffer, named: { id: number } | null = null): Promise<FaceEntity> {
    const image = await rows.image(`people/${++counter}.jpg`, { status: named ? 'processed' : 'unrecognized' });
    const created = await rows.face(image.id, named && ({ id: named.id } as PersonEntity));
    await dataSource.getRepository(FaceEntity).update({ id: created.id }, { descriptor: value, descriptorRecipe: recipe, galleryVersion: 1 });
    return { ...created, descriptor: value };
  }

  /** A group of unknown faces as the clustering job writes it. */
  async function group(...values: Buffer[]): Promise<{ id: number; faces: number[] }> {
    const faces: number[] = [];
    for (const value of values) faces.push((await face(value)).id);
    return { id: await writeGroup(clustering, faces), faces };
  }

  const count = (entity: typeof PersonEntity | typeof PersonImageEntity) => dataSource.getRepository(entity).count();
  const auditRows = async (action: string) =>
    (
      (await dataSource.query('SELECT target, details FROM audit_events WHERE action = ? ORDER BY id', [action])) as Array<{
        target: string;
        details: string;
      }>
    ).map((row) => ({
      target: row.target,
      details: JSON.parse(row.details) as Record<string, unknown>,
    }));

  it('naming a group: a face that fits neither the group nor the person is answered 409 with its id and why; nothing is enrolled', async () => {
    const grace = await person('Grace', descriptor(0, 0));
    // Three faces of one person, and one of Grace that the grouping chained in.
    const ada = await group(descriptor(1), descriptor(1.05), descriptor(1.1), descriptor(0, 0.05));
    const version = await readGalleryVersion(dataSource);

    const refused = await harness.http.post(`/clusters/${ada.id}/name`).send({ name: 'Ada' });
    expectApiError(refused, 409, 'faces_need_confirmation');
    expect(refused.body.faces).toEqual([
      {
        faceId: ada.faces[3],
        reasons: [
          { code: 'far_from_group', fitsWith: 0, others: 3 },
          { code: 'nearer_other_person', personId: grace.id, personName: 'Grace', distance: 0.05 },
        ],
      },
    ]);
    // A refused request changes nothing: no person, no enrolment, the group and the gallery as they were.
    expect(await count(PersonEntity)).toBe(1);
    expect(await count(PersonImageEntity)).toBe(1);
    expect(await readGalleryVersion(dataSource)).toBe(version);
    expect((await harness.http.get(`/clusters/${ada.id}`)).body.size).toBe(4);
    // Confirming another face does not confirm this one.
    expectApiError(
      await harness.http.post(`/clusters/${ada.id}/name`).send({ name: 'Ada', confirm: [ada.faces[0]] }),
      409,
      'faces_need_confirmation',
    );

    // Left out: not enrolled, "Not Ada" for it, and out of grouping for good.
    const named = await harness.http.post(`/clusters/${ada.id}/name`).send({ name: 'Ada', leaveOut: [ada.faces[3]] });
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    expect(named.body).toMatchObject({ personName: 'Ada', faceIds: ada.faces.slice(0, 3), galleryVersion: version + 1 });
    expect(await dataSource.getRepository(PersonImageEntity).countBy({ personId: named.body.personId })).toBe(3);
    expect(await dataSource.getRepository(FaceRejectionEntity).findBy({ faceId: ada.faces[3] })).toEqual([
      expect.objectContaining({ personId: named.body.personId }),
    ]);
    expect(await dataSource.query('SELECT cluster_id AS clusterId FROM cluster_members WHERE face_id = ?', [ada.faces[3]])).toEqual([
      { clusterId: null },
    ]);
    expect(await auditRows('face.assigned')).toEqual([
      { target: `cluster:${ada.id}`, details: { faces: 3, leftOut: 1, personId: named.body.personId } },
    ]);
  });

  it('naming a group: confirmed faces are enrolled; every face far from an existing person needs confirming', async () => {
    const grace = await person('Grace', descriptor(0, 0));
    const ada = await group(descriptor(1), descriptor(1.05), descriptor(0, 0.05));
    const confirmed = await harness.http.post(`/clusters/${ada.id}/name`).send({ name: 'Ada', confirm: [ada.faces[2]] });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body.faceIds).toEqual(ada.faces);

    // Far from every enrolment of Grace: all three need confirming.
    const strangers = await group(descriptor(2), descriptor(2.05), descriptor(2.1));
    const refused = await harness.http.post(`/clusters/${strangers.id}/name`).send({ personId: grace.id });
    expectApiError(refused, 409, 'faces_need_confirmation');
    expect(refused.body.faces.map((misfit: { faceId: number }) => misfit.faceId)).toEqual(strangers.faces);
    expect(refused.body.faces[0].reasons).toEqual([{ code: 'far_from_person', distance: 2 }]);
    expect(await dataSource.getRepository(PersonImageEntity).countBy({ personId: grace.id })).toBe(1);
    const all = await harness.http.post(`/clusters/${strangers.id}/name`).send({ personId: grace.id, confirm: strangers.faces });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(await dataSource.getRepository(PersonImageEntity).countBy({ personId: grace.id })).toBe(4);
  });

  it('naming a group refuses bad confirm and leaveOut lists, and a group left out entirely', async () => {
    const ada = await group(descriptor(1), descriptor(1.05));
    const name = (body: object) => harness.http.post(`/clusters/${ada.id}/name`).send(body);
    expectApiError(await name({ name: 'Ada', confirm: 'all' }), 400, 'invalid_confirm');
    expectApiError(await name({ name: 'Ada', confirm: [0] }), 400, 'invalid_confirm');
    expectApiError(await name({ name: 'Ada', leaveOut: ['1'] }), 400, 'invalid_leave_out');
    expectApiError(await name({ name: 'Ada', leaveOut: ada.faces }), 400, 'all_faces_left_out');
    expect(await count(PersonEntity)).toBe(0);
  });

  it('assigning or moving a face: 409 when it looks like someone else, enrolled once confirmed, audited as a move', async () => {
    const grace = await person('Grace', descriptor(0, 0));
    const graceFace = await face(descriptor(0, 0.1), grace);
    const refused = await harness.http.post(`/faces/${graceFace.id}/assign`).send({ name: 'Alan' });
    expectApiError(refused, 409, 'faces_need_confirmation');
    expect(refused.body.faces).toEqual([
      { faceId: graceFace.id, reasons: [{ code: 'nearer_other_person', personId: grace.id, personName: 'Grace', distance: 0.1 }] },
    ]);
    expect(await count(PersonEntity)).toBe(1);
    expectApiError(await harness.http.post(`/faces/${graceFace.id}/assign`).send({ name: 'Alan', confirm: 'yes' }), 400, 'invalid_confirm');

    const moved = await harness.http.post(`/faces/${graceFace.id}/assign`).send({ name: 'Alan', confirm: [graceFace.id] });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ faceId: graceFace.id, personName: 'Alan', previousPersonId: grace.id });
    const alan = await dataSource.getRepository(PersonEntity).findOneByOrFail({ name: 'Alan' });
    expect(await dataSource.getRepository(FaceEntity).findOneByOrFail({ id: graceFace.id })).toMatchObject({ personId: alan.id, distance: 0 });
    expect(await auditRows('face.moved')).toEqual([{ target: `face:${graceFace.id}`, details: { fromPersonId: grace.id, personId: alan.id } }]);

    // Back to Grace: its own enrolment for Alan does not count as "looks like Alan"; it fits Grace.
    const back = await harness.http.post(`/faces/${graceFace.id}/assign`).send({ personId: grace.id });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body).toMatchObject({ personId: grace.id, previousPersonId: alan.id });
    expect(await dataSource.getRepository(PersonImageEntity).findBy({ sourceName: `review:${graceFace.id}` })).toEqual([
      expect.objectContaining({ personId: grace.id }),
    ]);
  });

  it('POST /persons/:id/merge: enrolments and named faces move, the person goes, the gallery moves, audited', async () => {
    const grace = await person('Grace', descriptor(0, 0), descriptor(0, 0.1));
    const graceH = await person('Grace H.', descriptor(0, 0.2));
    const graceHFace = await face(descriptor(0, 0.25), graceH);
    const version = await readGalleryVersion(dataSource);

    const merged = await harness.http.post(`/persons/${graceH.id}/merge`).send({ into: grace.id });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body).toEqual({
      person: expect.objectContaining({ id: grace.id, name: 'Grace', knownFaceCount: 3, faceCount: 1, enrolmentsDisagree: false }),
      merged: { id: graceH.id, name: 'Grace H.' },
      movedEnrolments: 1,
      movedFaces: 1,
      galleryVersion: version + 1,
    });
    expect(await dataSource.getRepository(PersonEntity).findOneBy({ id: graceH.id })).toBeNull();
    expect(await dataSource.getRepository(PersonImageEntity).findOneByOrFail({ id: graceH.enrolments[0] })).toMatchObject({ personId: grace.id });
    expect(await dataSource.getRepository(FaceEntity).findOneByOrFail({ id: graceHFace.id })).toMatchObject({ personId: grace.id });
    expect((await harness.http.get(`/images/${graceHFace.imageId}`)).body).toMatchObject({
      status: 'processed',
      faces: [expect.objectContaining({ person: { id: grace.id, name: 'Grace' } })],
    });
    expect(await auditRows('person.merged')).toEqual([
      { target: `person:${graceH.id}`, details: { name: 'Grace H.', into: grace.id, intoName: 'Grace' } },
    ]);

    const merge = (id: number | string, body: unknown) => harness.http.post(`/persons/${id}/merge`).send(body as object);
    expectApiError(await merge(graceH.id, { into: grace.id }), 404, 'person_not_found');
    expectApiError(await merge(grace.id, { into: graceH.id }), 404, 'person_not_found');
    expectApiError(await merge(grace.id, { into: grace.id }), 409, 'merge_into_self');
    expectApiError(await merge(grace.id, {}), 400, 'into_required');
    expectApiError(await merge(grace.id, { into: '3' }), 400, 'invalid_into');
    expectApiError(await merge('x', { into: grace.id }), 400, 'invalid_id');
    expect(await auditRows('person.merged')).toHaveLength(1);
    expect(await readGalleryVersion(dataSource)).toBe(version + 1);
  });

  it('GET /persons flags a person whose enrolments disagree, and names the odd one out', async () => {
    const grace = await person('Grace', descriptor(0, 0), descriptor(0, 0.3));
    const mixed = await person('Mixed', descriptor(1), descriptor(1.1), descriptor(0, 0, 1));
    const listed = await harness.http.get('/persons');
    expect(listed.status).toBe(200);
    const byId = new Map(listed.body.items.map((item: { id: number }) => [item.id, item]));
    expect(byId.get(grace.id)).toMatchObject({ enrolmentsDisagree: false, disagreement: null });
    expect(byId.get(mixed.id)).toMatchObject({
      enrolmentsDisagree: true,
      disagreement: { spread: expect.closeTo(Math.hypot(1.1, 1), 3), outlierEnrolmentIds: [mixed.enrolments[2]] },
    });
    expect((await harness.http.get(`/persons/${mixed.id}`)).body).toMatchObject({ enrolmentsDisagree: true });

    // Merged into a consistent person, the flag follows the enrolments.
    await harness.http.post(`/persons/${mixed.id}/merge`).send({ into: grace.id }).expect(200);
    expect((await harness.http.get(`/persons/${grace.id}`)).body).toMatchObject({ enrolmentsDisagree: true, knownFaceCount: 5 });
  });
});

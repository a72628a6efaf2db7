import { NestExpressApplication } from '@nestjs/platform-express';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH, RECIPE_OPERATING_POINTS } from '@visage/domain';
import { ClusteringRepository, encodeDescriptor, FaceEntity, PersonEntity, PersonImageEntity } from '@visage/persistence';
import { MigratedTestDatabase, Rows, TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { DashboardClient, DashboardTestBed, signIn } from './harness';
import { TEST_ADMIN_KEY } from '../../../libs/auth/test/test-keys';

/** Handlebars writes `=` in attributes as `&#x3D;`; a browser reads it back as `=`. */
const unescape = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

describe.each(TEST_DRIVERS)('dashboard face review on $name', (driver) => {
  let db: MigratedTestDatabase;
  let app: NestExpressApplication;
  let rows: Rows;
  const bed = new DashboardTestBed();
  const { root, receiver } = bed;
  let groupFaces: number[];
  let imageIds: number[];
  let namedFace: FaceEntity;
  let grace: PersonEntity;
  let dashboard: DashboardClient;
  const http = () => dashboard;

  beforeAll(async () => {
    ({ db, rows } = await bed.open(driver, 'visage_review_ui'));
    groupFaces = [];
    imageIds = [];
    for (const name of ['a', 'b', 'c']) {
      const path = await root.picture(`party/${name}.jpg`, 200, 150);
      const image = await rows.image(path, { status: 'unrecognized', width: 200, height: 150 });
      imageIds.push(image.id);
      groupFaces.push((await rows.face(image.id, null, { x: 40, y: 30, width: 50, height: 60 })).id);
    }
    await new ClusteringRepository(db.dataSource).write({
      clusters: [{ id: groupFaces[0], size: 3, centroid: new Float32Array(DESCRIPTOR_LENGTH), ignored: false, cohesion: 0.384 }],
      members: groupFaces.map((faceId) => ({ faceId, clusterId: groupFaces[0] })),
      merged: new Map(),
      outliers: { marked: [groupFaces[2]], cleared: [] },
    });
    grace = await rows.person('Grace');
    const named = await rows.image(await root.picture('party/grace.jpg'), { status: 'processed', width: 240, height: 160 });
    namedFace = await rows.face(named.id, grace);
    app = await bed.start();
    dashboard = await signIn(app);
  });
  afterAll(() => bed.close());

  it('"Unknown people" lists each group with its crops, image links, cohesion, outliers marked and the Name / Not the same / Ignore actions', async () => {
    const page = await http().get('/unknown').expect(200);
    const html = unescape(page.text);
    expect(html).toContain('3 faces in 3 images');
    expect(html).toContain('Faces 0.38 apart · 1 unlike the rest');
    // Only the outlier is marked.
    expect(html.match(/thumbs__item--outlier/g)).toHaveLength(1);
    expect(html).toMatch(new RegExp(`thumbs__item--outlier">\\s*<a href="/images/${imageIds[2]}">`));
    expect(html).toContain(`alt="Face ${groupFaces[2]}, unlike the rest of the group"`);
    for (const [index, faceId] of groupFaces.entries()) {
      expect(html).toContain(`src="/faces/${faceId}/crop"`);
      expect(html).toContain(`href="/images/${imageIds[index]}"`);
      expect(html).toContain(`action="/unknown/${groupFaces[0]}/faces/${faceId}/remove"`);
    }
    expect(html).toContain(`action="/unknown/${groupFaces[0]}/name"`);
    expect(html).toContain(`action="/unknown/${groupFaces[0]}/ignore"`);
    expect(html).toMatch(/href="\/unknown"[^>]*aria-current="page"/);

    const crop = await http().get(`/faces/${groupFaces[0]}/crop`).expect(200).expect('Content-Type', 'image/webp');
    expect((await sharp(crop.body as Buffer).metadata()).width).toBe(160);
    const missing = await http().get('/faces/2000000000/crop').expect(404).expect('content-type', /json/);
    expect(missing.body).toMatchObject({ statusCode: 404, message: 'There is no face with id 2000000000.', code: 'face_not_found' });
  });

  it('the actions go through the receiver API and come back with a message', async () => {
    receiver.reply('POST', `/clusters/${groupFaces[0]}/name`, 200, { clusterId: groupFaces[0], personId: 9, personName: 'Ada' });
    const named = await http()
      .post(`/unknown/${groupFaces[0]}/name`)
      .type('form')
      .send(dashboard.form({ name: ' Ada ' }))
      .expect(303);
    expect(named.headers.location).toBe('/unknown');
    expect(receiver.requests.at(-1)).toEqual({
      method: 'POST',
      url: `/clusters/${groupFaces[0]}/name`,
      body: { name: 'Ada' },
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
    });

    receiver.reply('DELETE', `/clusters/${groupFaces[0]}/faces/${groupFaces[2]}`, 204, undefined);
    await http().post(`/unknown/${groupFaces[0]}/faces/${groupFaces[2]}/remove`).type('form').send(dashboard.form()).expect(303);
    expect(receiver.requests.at(-1)).toMatchObject({ method: 'DELETE', url: `/clusters/${groupFaces[0]}/faces/${groupFaces[2]}` });

    receiver.reply('POST', `/clusters/${groupFaces[0]}/ignore`, 409, {
      statusCode: 409,
      error: 'Conflict',
      message: 'group is gone',
      code: 'cluster_not_found',
    });
    const refused = await http().post(`/unknown/${groupFaces[0]}/ignore`).type('form').send(dashboard.form()).expect(303);
    const after = await http()
      .get('/unknown')
      .set('Cookie', [
        dashboard.cookie,
        ...((refused.headers['set-cookie'] as unknown as string[] | undefined) ?? []).map((line) => line.split(';')[0]!),
      ])
      .expect(200);
    expect(after.text).toContain('Could not ignore the group: group is gone');

    await http().post(`/unknown/${groupFaces[0]}/ignore`).set('Origin', 'https://evil.example').type('form').send(dashboard.form()).expect(403);
  });

  it('the image page offers "This is …" on every face and "Not <name>" on named ones', async () => {
    const page = unescape((await http().get(`/images/${namedFace.imageId}`).expect(200)).text);
    expect(page).toContain(`action="/faces/${namedFace.id}/reject"`);
    expect(page).toContain('Not Grace');
    expect(page).toContain(`action="/faces/${namedFace.id}/assign"`);

    receiver.reply('POST', `/faces/${namedFace.id}/reject`, 200, { faceId: namedFace.id });
    const rejected = await http().post(`/faces/${namedFace.id}/reject`).type('form').send(dashboard.form()).expect(303);
    expect(rejected.headers.location).toBe(`/images/${namedFace.imageId}`);
    expect(receiver.requests.at(-1)).toMatchObject({ method: 'POST', url: `/faces/${namedFace.id}/reject` });

    receiver.reply('POST', `/faces/${groupFaces[1]}/assign`, 200, { faceId: groupFaces[1] });
    await http()
      .post(`/faces/${groupFaces[1]}/assign`)
      .type('form')
      .send(dashboard.form({ name: 'Ada' }))
      .expect(303);
    expect(receiver.requests.at(-1)).toMatchObject({ method: 'POST', url: `/faces/${groupFaces[1]}/assign`, body: { name: 'Ada' } });
    const missing = await http()
      .post('/faces/2000000000/assign')
      .type('form')
      .send(dashboard.form({ name: 'Ada' }))
      .expect(404);
    expect(missing.text).toContain('data-code="face_not_found"');
  });

  it('naming a group: faces the receiver asks to confirm are shown marked, each kept or left out, and sent back', async () => {
    const [first, second, odd] = groupFaces;
    receiver.reply('POST', `/clusters/${first}/name`, 409, {
      statusCode: 409,
      error: 'Conflict',
      message: '1 face(s) do not look like "Ada"',
      code: 'faces_need_confirmation',
      faces: [
        {
          faceId: odd,
          reasons: [
            { code: 'far_from_group', fitsWith: 0, others: 2 },
            { code: 'nearer_other_person', personId: grace.id, personName: 'Grace', distance: 0.312 },
          ],
        },
      ],
    });
    const page = await http()
      .post(`/unknown/${first}/name`)
      .type('form')
      .send(dashboard.form({ name: 'Ada' }))
      .expect(409);
    const html = unescape(page.text);
    expect(html).toContain('Check before naming “Ada”');
    expect(html).toMatch(new RegExp(`data-misfit="${odd}"[^]*?class="thumb thumb--lg thumb--misfit" src="/faces/${odd}/crop"`));
    expect(html).toContain('Unlike the other faces (close to 0 of 2)');
    expect(html).toContain('Looks like Grace (distance 0.31)');
    expect(html).toContain(`name="keep-${odd}" value="leaveOut" checked`);
    expect(html).toContain(`src="/faces/${second}/crop"`);
    expect(html).toContain(`action="/unknown/${first}/name"`);

    // Left out (the default) …
    await http()
      .post(`/unknown/${first}/name`)
      .type('form')
      .send({ ...dashboard.form({ name: 'Ada' }), asked: [String(odd)], [`keep-${odd}`]: 'leaveOut' })
      .expect(409);
    expect(receiver.requests.at(-1)).toMatchObject({ url: `/clusters/${first}/name`, body: { name: 'Ada', leaveOut: [odd] } });
    // … or kept: confirmed; the receiver's answer ends the flow.
    receiver.reply('POST', `/clusters/${first}/name`, 200, { clusterId: first, personId: 9, personName: 'Ada' });
    const named = await http()
      .post(`/unknown/${first}/name`)
      .type('form')
      .send({ ...dashboard.form({ name: 'Ada' }), asked: [String(odd)], [`keep-${odd}`]: 'confirm' })
      .expect(303);
    expect(named.headers.location).toBe('/unknown');
    expect(receiver.requests.at(-1)).toMatchObject({ url: `/clusters/${first}/name`, body: { name: 'Ada', confirm: [odd] } });
  });

  it("refuses a bad name or face id with the shared rule's code, without calling the receiver", async () => {
    const before = receiver.requests.length;
    const named = await http()
      .post(`/unknown/${groupFaces[0]}/name`)
      .type('form')
      .send({ ...dashboard.form({ name: 'Ada' }), asked: ['abc'] })
      .expect(303);
    expect(named.headers.location).toBe('/unknown');
    const flash = (named.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]!);
    const page = await http()
      .get('/unknown')
      .set('Cookie', [dashboard.cookie, ...flash])
      .expect(200);
    expect(page.text).toMatch(/class="flash flash--error" role="alert" data-code="invalid_asked">Could not name the group: /);

    const assigned = await http()
      .post(`/faces/${namedFace.id}/assign`)
      .type('form')
      .send(dashboard.form({ name: '\u202eevil' }))
      .expect(303);
    expect(assigned.headers.location).toBe(`/images/${namedFace.imageId}`);
    const cookie = (assigned.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]!);
    const image = await http()
      .get(`/images/${namedFace.imageId}`)
      .set('Cookie', [dashboard.cookie, ...cookie])
      .expect(200);
    expect(image.text).toContain('data-code="name_invalid">Could not name the face: name must not contain');
    expect(receiver.requests.length).toBe(before);
  });

  it('"This is …" on a face that looks like someone else asks to confirm it', async () => {
    const faceId = groupFaces[1];
    receiver.reply('POST', `/faces/${faceId}/assign`, 409, {
      statusCode: 409,
      error: 'Conflict',
      message: 'does not fit',
      code: 'faces_need_confirmation',
      faces: [{ faceId, reasons: [{ code: 'far_from_person', distance: 0.9 }] }],
    });
    const page = unescape(
      (
        await http()
          .post(`/faces/${faceId}/assign`)
          .type('form')
          .send(dashboard.form({ name: 'Grace' }))
          .expect(409)
      ).text,
    );
    expect(page).toContain('Unlike the enrolled faces of Grace (distance 0.90)');
    expect(page).toContain('Yes, this is Grace');
    expect(page).toContain(`name="keep-${faceId}" value="confirm"`);
    expect(page).not.toContain('Leave out');
    receiver.reply('POST', `/faces/${faceId}/assign`, 200, { faceId });
    await http()
      .post(`/faces/${faceId}/assign`)
      .type('form')
      .send({ ...dashboard.form({ name: 'Grace' }), asked: [String(faceId)], [`keep-${faceId}`]: 'confirm' })
      .expect(303);
    expect(receiver.requests.at(-1)).toMatchObject({ url: `/faces/${faceId}/assign`, body: { name: 'Grace', confirm: [faceId] } });
  });

  it('the people page flags a person whose enrolled faces disagree, marks the odd one, and merges by name', async () => {
    const mixed = await rows.person('Mixed');
    const enrolments: number[] = [];
    // Two enrolments 0.1 apart and one 2 from both: either side of the configured (default) recipe's bound.
    const bound = RECIPE_OPERATING_POINTS[DEFAULT_DESCRIPTOR_RECIPE].enrolmentDisagreement;
    expect(bound).toBeGreaterThan(0.1);
    expect(bound).toBeLessThan(2);
    for (const [index, value] of [0, 0.1, 2].entries()) {
      const enrolled = await rows.enrolled(mixed.id, `path:mixed-${index}.jpg`);
      const values = new Float32Array(DESCRIPTOR_LENGTH);
      values[index === 2 ? 1 : 0] = value;
      await db.dataSource
        .getRepository(PersonImageEntity)
        .update({ id: enrolled.id }, { descriptor: encodeDescriptor(values), descriptorRecipe: DEFAULT_DESCRIPTOR_RECIPE });
      enrolments.push(enrolled.id);
    }
    await db.dataSource.query('UPDATE gallery_state SET version = version + 1');
    const page = unescape((await http().get('/persons').expect(200)).text);
    const card = page.slice(page.indexOf(`id="person-${mixed.id}"`));
    expect(card).toMatch(/^[^]*?data-flag="enrolments-disagree">Enrolled faces disagree \(up to 2.00 apart\)/);
    expect(card).toMatch(
      /^[^]*?thumb--none thumb--misfit">no preview<\/span>\s*<span class="thumbs__caption" title="path:mixed-2.jpg"><strong class="error-text">Odd one out<\/strong>/,
    );
    const graceCard = page.slice(page.indexOf(`id="person-${grace.id}"`), page.indexOf(`id="person-${mixed.id}"`));
    expect(graceCard).not.toContain('data-flag');
    expect(card).toContain(`action="/persons/${mixed.id}/merge"`);
    expect(page).toContain('<option value="Grace"></option>');

    receiver.reply('POST', `/persons/${mixed.id}/merge`, 200, { person: { id: grace.id } });
    const merged = await http()
      .post(`/persons/${mixed.id}/merge`)
      .type('form')
      .send(dashboard.form({ into: 'Grace' }))
      .expect(303);
    expect(merged.headers.location).toBe(`/persons#person-${grace.id}`);
    expect(receiver.requests.at(-1)).toEqual({
      method: 'POST',
      url: `/persons/${mixed.id}/merge`,
      body: { into: grace.id },
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
    });
    const before = receiver.requests.length;
    const nobody = await http()
      .post(`/persons/${mixed.id}/merge`)
      .type('form')
      .send(dashboard.form({ into: 'Nobody' }))
      .expect(303);
    expect(nobody.headers.location).toBe(`/persons#person-${mixed.id}`);
    expect(receiver.requests.length).toBe(before);
    await http()
      .post(`/persons/${mixed.id}/merge`)
      .set('Origin', 'https://evil.example')
      .type('form')
      .send(dashboard.form({ into: 'Grace' }))
      .expect(403);
  });
});

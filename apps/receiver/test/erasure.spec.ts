import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceEntity, PersonImageEntity } from '@visage/persistence';
import { Rows, TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { ReceiverHarness, startReceiver } from './receiver-harness';

/** A 512-byte descriptor whose first float is `marker`, so its copies can be found by content. */
function descriptor(marker: number): Buffer {
  const buffer = Buffer.alloc(512);
  buffer.writeFloatLE(marker, 0);
  return buffer;
}

describe.each(TEST_DRIVERS)('erasure on $name', (driver) => {
  let harness: ReceiverHarness;
  let dataSource: DataSource;
  let rows: Rows;
  const count = async (sql: string, parameters: unknown[] = []) =>
    Number(((await dataSource.query(sql, parameters)) as Array<{ n: number | string }>)[0]!.n);

  beforeAll(async () => {
    harness = await startReceiver(driver);
    dataSource = harness.app.get(DataSource);
    rows = new Rows(dataSource);
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function faceWithDescriptor(path: string, marker: number): Promise<FaceEntity> {
    const image = await rows.image(path, { status: 'unrecognized' });
    const face = await rows.face(image.id, null);
    await dataSource.getRepository(FaceEntity).update({ id: face.id }, { descriptor: descriptor(marker), galleryVersion: 0 });
    return face;
  }

  /** The erasure events in the outbox, as the relay will publish them. */
  const erasureEvents = async () =>
    dataSource.query(
      "SELECT event_type AS type, person_id AS personId, image_id AS imageId, path, status, gallery_version AS galleryVersion FROM outcome_events WHERE event_type <> 'image.outcome' ORDER BY id",
    ) as Promise<Array<Record<string, unknown>>>;

  /** An outcome event already in the outbox for a new image at `path`, its one face snapshot naming the person. */
  async function outboxSnapshotNaming(path: string, personId: number, name: string): Promise<void> {
    const image = await rows.image(path, { status: 'processed' });
    const eventId = `e-${image.id}`;
    await dataSource.query(
      "INSERT INTO outcome_events (event_id, batch_id, image_id, path, status, gallery_version, created_at) VALUES (?, 'b-1', ?, ?, 'processed', 1, ?)",
      [eventId, image.id, path, '2026-01-01 00:00:00.000'],
    );
    const [event] = (await dataSource.query('SELECT id FROM outcome_events WHERE event_id = ?', [eventId])) as Array<{ id: number }>;
    await dataSource.query(
      'INSERT INTO outcome_event_faces (event_row_id, face_id, person_id, person_name, distance, box_x, box_y, box_width, box_height) VALUES (?, 1, ?, ?, 0.3, 0, 0, 10, 10)',
      [event!.id, personId, name],
    );
  }

  /** The SQLite file and its write-ahead log, as bytes (where a deleted row could linger). */
  const sqliteBytes = () => {
    const file = (dataSource.options as { database: string }).database;
    return Buffer.concat([readFileSync(file), ...(existsSync(`${file}-wal`) ? [readFileSync(`${file}-wal`)] : [])]);
  };

  /** Rows anywhere in the gallery tables that hold this descriptor. */
  const copiesOf = async (marker: number) =>
    (await count('SELECT COUNT(*) AS n FROM person_images WHERE descriptor = ?', [descriptor(marker)])) +
    (await count('SELECT COUNT(*) AS n FROM gallery_changes WHERE descriptor = ?', [descriptor(marker)]));

  it('DELETE /persons/:id leaves no descriptor enrolled for them, not even in the change log, and unnames their faces', async () => {
    const first = await faceWithDescriptor('photos/a.jpg', 0.125);
    const second = await faceWithDescriptor('photos/b.jpg', 0.375);
    const named = await harness.http.post(`/faces/${first.id}/assign`).send({ name: 'Ada' });
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    const ada = named.body.personId as number;
    expect((await harness.http.post(`/faces/${second.id}/assign`).send({ personId: ada })).status).toBe(200);
    const other = await rows.person('Grace');
    await rows.enrolled(other.id, 'known/grace.jpg');
    expect(await count('SELECT COUNT(*) AS n FROM person_images WHERE person_id = ?', [ada])).toBe(2);
    expect(await count('SELECT COUNT(*) AS n FROM gallery_changes WHERE person_id = ?', [ada])).toBeGreaterThan(0);
    expect(await copiesOf(0.125)).toBeGreaterThan(0);

    expect((await harness.http.delete(`/persons/${ada}`)).status).toBe(204);

    expect(await count('SELECT COUNT(*) AS n FROM persons WHERE id = ?', [ada])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM person_images WHERE person_id = ?', [ada])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM gallery_changes WHERE person_id = ?', [ada])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM faces WHERE person_id = ?', [ada])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM face_rejections WHERE person_id = ?', [ada])).toBe(0);
    expect(await copiesOf(0.125)).toBe(0);
    expect(await copiesOf(0.375)).toBe(0);
    // Someone else's enrolment is untouched; every face older than the erasure is re-matched against the whole gallery.
    expect(await count('SELECT COUNT(*) AS n FROM person_images WHERE person_id = ?', [other.id])).toBe(1);
    const [state] = (await dataSource.query('SELECT version, changes_from AS changesFrom FROM gallery_state')) as Array<{
      version: number;
      changesFrom: number;
    }>;
    expect(Number(state!.changesFrom)).toBe(Number(state!.version));
    expect((await harness.http.get(`/images/${first.imageId}`)).body).toMatchObject({ status: 'unrecognized', faces: [{ person: null }] });
    // The faces themselves stay (they are the image's), with their own descriptors, until the image is deleted.
    expect(await count('SELECT COUNT(*) AS n FROM faces WHERE id IN (?, ?)', [first.id, second.id])).toBe(2);

    // Audited by id, never the name; consumers are told by a person.deleted event carrying the id only.
    const audit = await harness.http.get('/audit?limit=1');
    expect(audit.body.items[0]).toEqual({
      id: expect.any(Number),
      at: expect.any(String),
      action: 'person.deleted',
      target: `person:${ada}`,
      actor: expect.stringMatching(/^key:\d+$/),
      details: null,
    });
    expect(await erasureEvents()).toEqual([{ type: 'person.deleted', personId: ada, imageId: null, path: null, status: null, galleryVersion: null }]);
    expect((await harness.http.delete(`/persons/${ada}`)).body).toMatchObject({ statusCode: 404, code: 'person_not_found' });
    expect(await erasureEvents()).toHaveLength(1);
  });

  it('DELETE /images/:id removes the row, its faces and their descriptors, enrolments made from them and emptied groups, never the file', async () => {
    const face = await faceWithDescriptor('photos/c.jpg', 0.625);
    const named = await harness.http.post(`/faces/${face.id}/assign`).send({ name: 'Bob' });
    expect(named.status).toBe(200);
    await dataSource.query('INSERT INTO face_clusters (id, size, centroid) VALUES (?, 1, ?)', [900, descriptor(0.625)]);
    await dataSource.query('INSERT INTO cluster_members (face_id, cluster_id) VALUES (?, ?)', [face.id, 900]);
    expect(await copiesOf(0.625)).toBeGreaterThan(0);

    expect((await harness.http.delete(`/images/${face.imageId}`)).status).toBe(204);

    expect(await count('SELECT COUNT(*) AS n FROM images WHERE id = ?', [face.imageId])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM faces WHERE image_id = ?', [face.imageId])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM faces WHERE descriptor = ?', [descriptor(0.625)])).toBe(0);
    expect(await copiesOf(0.625)).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM face_clusters WHERE centroid = ?', [descriptor(0.625)])).toBe(0);
    expect(existsSync(join(harness.root, 'photos', 'c.jpg'))).toBe(true);
    // Its outcome events went; an image.deleted event tells consumers, with the id only (no path, no boxes).
    expect(await count("SELECT COUNT(*) AS n FROM outcome_events WHERE image_id = ? AND event_type = 'image.outcome'", [face.imageId])).toBe(0);
    expect((await erasureEvents()).filter((event) => event.type === 'image.deleted')).toEqual([
      { type: 'image.deleted', personId: null, imageId: face.imageId, path: null, status: null, galleryVersion: null },
    ]);
    expect((await harness.http.get('/audit?limit=1')).body.items[0]).toMatchObject({
      action: 'image.deleted',
      target: `image:${face.imageId}`,
      details: { faces: 1, enrolments: 1 },
    });
    expect((await harness.http.delete(`/images/${face.imageId}`)).body).toMatchObject({ statusCode: 404, code: 'image_not_found' });
    expect((await harness.http.post('/image/post').send({ path: 'photos/c.jpg' })).status).toBe(202); // the path may be submitted again
  });

  it('DELETE /persons/:id leaves the name nowhere: outbox snapshots and audit details redacted, the known file tombstoned by hash only', async () => {
    const name = 'Zenobia Quillfeather';
    const created = await harness.http.post('/persons').send({ name });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as number;
    const contentHash = createHash('sha256').update('the bytes of zenobia_1.jpg').digest('hex');
    const enrolments = dataSource.getRepository(PersonImageEntity);
    await enrolments.save(
      enrolments.create({ personId: id, sourceName: 'known:zenobia quillfeather_1.jpg', contentHash, descriptor: descriptor(0.875) }),
    );
    await outboxSnapshotNaming('photos/zenobia.jpg', id, name);
    expect(await count('SELECT COUNT(*) AS n FROM audit_events WHERE details LIKE ?', [`%${name}%`])).toBe(1);

    expect((await harness.http.delete(`/persons/${id}`)).status).toBe(204);

    expect(await count('SELECT COUNT(*) AS n FROM outcome_event_faces WHERE person_name = ? OR person_id = ?', [name, id])).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM audit_events WHERE details LIKE ?', [`%${name}%`])).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM audit_events WHERE target = ? AND action = 'person.created'", [`person:${id}`])).toBe(1); // the row stays, by id
    expect(await count('SELECT COUNT(*) AS n FROM forgotten_known_faces WHERE content_hash = ?', [contentHash])).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM outcome_events WHERE event_type = 'person.deleted' AND person_id = ?", [id])).toBe(1);
    if (driver.name === 'sqlite') {
      // secure_delete zeroes freed pages; the checkpoint after the erasure empties the write-ahead log.
      const bytes = sqliteBytes();
      expect(bytes.includes(Buffer.from(name)), 'the name in the SQLite file or its WAL').toBe(false);
      expect(bytes.includes(Buffer.from(name.toLowerCase())), 'the known file name').toBe(false);
    }
    // An admin may bring the forgotten files back (enrolled at the next start).
    const cleared = await harness.http.delete('/known-faces/forgotten');
    expect(cleared.status).toBe(200);
    expect(cleared.body.cleared).toBeGreaterThanOrEqual(1);
    expect(await count('SELECT COUNT(*) AS n FROM forgotten_known_faces')).toBe(0);
    expect((await harness.http.get('/audit?limit=1')).body.items[0]).toMatchObject({ action: 'known_faces.unforgotten' });
  });

  it('DELETE /persons/:id forgets the names merged into the person too, through a chain of merges', async () => {
    const names = ['Theodora Wrenfield', 'T. Wrenfield', 'Teddy W.'];
    const ids: number[] = [];
    for (const name of names) ids.push((await harness.http.post('/persons').send({ name })).body.id as number);
    const [kept, alias, nickname] = ids;
    // The nickname merged into the alias, the alias into the person kept: the same human under three names.
    expect((await harness.http.post(`/persons/${nickname}/merge`).send({ into: alias })).status).toBe(200);
    expect((await harness.http.post(`/persons/${alias}/merge`).send({ into: kept })).status).toBe(200);
    await outboxSnapshotNaming('photos/theodora.jpg', nickname, names[2]); // taken before the merges
    const holding = async (name: string) =>
      (await count('SELECT COUNT(*) AS n FROM audit_events WHERE details LIKE ?', [`%${name}%`])) +
      (await count('SELECT COUNT(*) AS n FROM outcome_event_faces WHERE person_name = ?', [name]));
    for (const name of names) expect(await holding(name), name).toBeGreaterThan(0);

    expect((await harness.http.delete(`/persons/${kept}`)).status).toBe(204);

    for (const name of names) expect(await holding(name), name).toBe(0);
    expect(
      await count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'person.merged' AND target IN (?, ?)", [
        `person:${alias}`,
        `person:${nickname}`,
      ]),
    ).toBe(2); // by id
    if (driver.name === 'sqlite') {
      const bytes = sqliteBytes();
      for (const name of names) expect(bytes.includes(Buffer.from(name)), `${name} in the SQLite file or its WAL`).toBe(false);
    }
  });

  it('DELETE /images/:id deletes its outcome events (path, boxes, names) from the outbox', async () => {
    const image = await rows.image('photos/outbox.jpg', { status: 'unrecognized' });
    await dataSource.query(
      "INSERT INTO outcome_events (event_id, batch_id, image_id, path, status, gallery_version, created_at) VALUES ('e-2', 'b-2', ?, 'photos/outbox.jpg', 'unrecognized', 1, ?)",
      [image.id, '2026-01-01 00:00:00.000'],
    );
    expect((await harness.http.delete(`/images/${image.id}`)).status).toBe(204);
    expect(await count('SELECT COUNT(*) AS n FROM outcome_events WHERE path = ?', ['photos/outbox.jpg'])).toBe(0);
  });
});

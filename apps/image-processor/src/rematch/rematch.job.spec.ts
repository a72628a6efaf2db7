import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '@visage/config';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH, MatchRule } from '@visage/domain';
import { assignJointly, GalleryService, MatchPool } from '@visage/matcher';
import {
  FaceEntity,
  FaceIdentityRepository,
  FaceRematch,
  FaceReviewRepository,
  ImageEntity,
  ImageProcessingRepository,
  LockRepository,
  PersonEntity,
  PersonImageEntity,
  PersonImageRepository,
  PersonRepository,
  StaleFaceBatch,
  bumpGalleryVersion,
  DashboardImageRepository,
} from '@visage/persistence';
import { openMigrated, TEST_DRIVERS, TestDatabase } from '../../../../libs/persistence/test/test-databases';
import { processorSettingsFrom } from '../processor.settings';
import { REMATCH_BATCH_SIZE, RematchJob } from './rematch.job';

const RULE: MatchRule = { threshold: 0.5, margin: 0 };
const settings = processorSettingsFrom(parseConfig({}), 'rematch-test');
const POLICY = settings.policy;

/** A pseudo-random descriptor per seed (different seeds ~2.8 apart over 512 floats); `offset` moves it along axis 0, `offsetY` along axis 1. */
function descriptor(seed: number, offset = 0, offsetY = 0): Float32Array {
  const out = new Float32Array(DESCRIPTOR_LENGTH);
  let state = (seed + 1) * 2654435761;
  for (let index = 0; index < DESCRIPTOR_LENGTH; index++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[index] = (state / 2147483648 - 0.5) * 0.3;
  }
  out[0] += offset;
  out[1] += offsetY;
  return out;
}

/** One processor replica's view: its own connection, gallery and job. */
interface Replica {
  dataSource: DataSource;
  gallery: GalleryService;
  identities: FaceIdentityRepository;
  processing: ImageProcessingRepository;
  locks: LockRepository;
  job: RematchJob;
}

describe.each(TEST_DRIVERS)('re-matching on $name', (driver) => {
  let database: TestDatabase;
  let replicas: Replica[];
  let enrolments: PersonImageRepository;
  let persons: PersonRepository;
  let counter = 0;

  function replica(dataSource: DataSource, identities = new FaceIdentityRepository(dataSource)): Replica {
    const gallery = new GalleryService(new PersonImageRepository(dataSource), { rule: RULE, refreshMs: 60_000 });
    const processing = new ImageProcessingRepository(dataSource);
    const locks = new LockRepository(dataSource);
    return { dataSource, gallery, identities, processing, locks, job: new RematchJob(identities, locks, gallery, settings, false) };
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await driver.create('visage_rematch');
    const sources = [await openMigrated(database.config), await openMigrated(database.config)];
    replicas = sources.map((dataSource) => replica(dataSource));
    enrolments = new PersonImageRepository(sources[0]);
    persons = new PersonRepository(sources[0]);
  });

  afterAll(async () => {
    for (const { dataSource } of replicas ?? []) await dataSource.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    const dataSource = replicas[0].dataSource;
    await dataSource.createQueryBuilder().delete().from(ImageEntity).execute();
    await dataSource.createQueryBuilder().delete().from(PersonImageEntity).execute();
    await dataSource.createQueryBuilder().delete().from(PersonEntity).execute();
    // Deleted behind the repositories' back: move the version as they would, so every gallery reloads, and
    // restart the change log there (it does not hold these deletions).
    await dataSource.query(...bumpGalleryVersion(dataSource));
    await dataSource.query('UPDATE gallery_state SET changes_from = version');
  });

  async function enrol(name: string, seed: number, at = descriptor(seed)): Promise<number> {
    const person = await enrolments.findOrCreatePerson(name);
    await enrolments.replaceEnrolment({
      personId: person.id,
      sourceName: `path:${name}-${++counter}.jpg`,
      contentHash: 'a'.repeat(64),
      descriptor: at,
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
    });
    return person.id;
  }

  /** Processes an image the way the processor does: claim, match against `replica`'s gallery as loaded, complete. */
  async function processImage(faceSeeds: number[], using = replicas[0]): Promise<number> {
    return processFaces(
      faceSeeds.map((seed) => descriptor(seed, 0.1)),
      using,
    );
  }

  async function processFaces(probes: Float32Array[], using = replicas[0]): Promise<number> {
    const { id } = await using.dataSource.getRepository(ImageEntity).save({ path: `rematch/${++counter}.jpg`, status: 'pending' });
    expect(await using.processing.claim(id, 'token', POLICY)).toBe('claimed');
    const gallery = using.gallery.current();
    const identities = assignJointly(
      probes.map((probe) => ({ descriptor: probe })),
      (probe, excluded) => gallery.match(probe, excluded),
    );
    const faces = probes.map((probe, index) => ({
      box: { x: 0, y: 0, width: 10, height: 10 },
      score: 0.9,
      ...identities[index],
      descriptor: probe,
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
    }));
    const result = await using.processing.complete(id, 'token', { width: 10, height: 10, faces, galleryVersion: gallery.version });
    expect(result.outcome).toBe('completed');
    return id;
  }

  async function image(id: number): Promise<ImageEntity & { faces: FaceEntity[] }> {
    const found = await replicas[0].dataSource
      .getRepository(ImageEntity)
      .findOne({ where: { id }, relations: { faces: true }, order: { faces: { id: 'ASC' } } });
    if (!found) throw new Error(`image ${id} is gone`);
    return found as ImageEntity & { faces: FaceEntity[] };
  }

  /** The invariant the issue names: a processed image names someone, an unrecognized one nobody. */
  async function statusesConsistent(): Promise<boolean> {
    const images = await replicas[0].dataSource.getRepository(ImageEntity).find({ relations: { faces: true } });
    return images.every((row) => {
      if (row.status !== 'processed' && row.status !== 'unrecognized') return true;
      const named = (row.faces ?? []).some((face) => face.personId !== null);
      return row.status === (named ? 'processed' : 'unrecognized');
    });
  }

  it('names a person enrolled after their images were processed as unrecognized, without the recognizer', async () => {
    await replicas[0].gallery.refresh();
    const id = await processImage([1, 2]);
    expect(await image(id)).toMatchObject({ status: 'unrecognized' });
    const before = await image(id);

    const ada = await enrol('ada', 1);
    const report = await replicas[0].job.runOnce();
    // Compared with the one enrolment added since, not the whole gallery.
    expect(report).toMatchObject({ ran: true, faces: 2, fullMatches: 0, changedImages: 1, galleryVersion: replicas[0].gallery.version });

    const after = await image(id);
    expect(after.status).toBe('processed');
    expect(after.faces.map((face) => face.personId)).toEqual([ada, null]);
    expect(after.faces[0].distance).toBeCloseTo(0.1, 4);
    expect(after.faces.every((face) => face.galleryVersion === replicas[0].gallery.version)).toBe(true);
    expect(after.faces[0].matchedAt?.getTime()).toBeGreaterThanOrEqual(before.faces[0].matchedAt?.getTime() ?? Infinity);
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    // The dashboard's live refresh ("changed since") shows the image with its new identity.
    const changed = await new DashboardImageRepository(replicas[0].dataSource).changedSince(before.updatedAt, 100);
    expect(changed.find((row) => row.id === id)).toMatchObject({ status: 'processed', persons: [{ id: ada, name: 'ada' }] });

    // Nothing stale any more: the next run has nothing to do.
    expect(await replicas[0].job.runOnce()).toEqual({ ran: false, reason: 'up_to_date' });
  });

  it('deleting a person recomputes their images at once, and the re-match names the next nearest within the threshold', async () => {
    const ada = await enrol('ada', 1);
    await enrol('ada-twin', 1); // the same descriptor, a second person: second nearest once ada is gone
    const bob = await enrol('bob', 3);
    await replicas[0].gallery.refresh();
    const adaOnly = await processImage([1]);
    const bobAndStranger = await processImage([3, 9]);
    expect((await image(adaOnly)).faces[0].personId).toBe(ada);

    expect(await persons.delete(ada)).toBe(true);
    // Same transaction as the deletion: no processed image is left without a named face.
    expect(await image(adaOnly)).toMatchObject({ status: 'unrecognized' });
    expect(await statusesConsistent()).toBe(true);

    // Erasure keeps no descriptor of ada, not even in the change log: every face is matched against the whole gallery.
    expect(await replicas[0].job.runOnce()).toMatchObject({ ran: true, faces: 3, fullMatches: 3 });
    expect(Number((await replicas[0].dataSource.query('SELECT COUNT(*) AS n FROM gallery_changes WHERE person_id = ?', [ada]))[0].n)).toBe(0);
    const twin = (await enrolments.findOrCreatePerson('ada-twin')).id;
    expect(await image(adaOnly)).toMatchObject({ status: 'processed', faces: [expect.objectContaining({ personId: twin })] });
    expect((await image(bobAndStranger)).faces.map((face) => face.personId)).toEqual([bob, null]);
    expect(await statusesConsistent()).toBe(true);

    expect(await persons.delete(twin)).toBe(true);
    await replicas[0].job.runOnce();
    expect(await image(adaOnly)).toMatchObject({ status: 'unrecognized', faces: [expect.objectContaining({ personId: null })] });
    expect(await statusesConsistent()).toBe(true);
  });

  it("names a person at most once per photo, and re-assigns the image's faces together when one of them changes", async () => {
    // Ada at a point; Bob 0.45 from her. The winner W is 0.1 from Ada; the loser L 0.2 from Ada and 0.25 from Bob.
    const ada = await enrol('ada', 1);
    const bob = await enrol('bob', 1, descriptor(1, 0, 0.45));
    await replicas[0].gallery.refresh();
    const id = await processFaces([descriptor(1, 0.1), descriptor(1, 0, 0.2)]);
    expect((await image(id)).faces.map((face) => face.personId)).toEqual([ada, bob]);

    // Carol enrolled 0.07 from W, 0.29 from L (beyond L's reach: the change log alone leaves L with Bob). W takes
    // Carol, which frees Ada for L: the image is assigned again as a whole.
    const carol = await enrol('carol', 1, descriptor(1, 0.15, -0.05));
    expect(await replicas[0].job.runOnce()).toMatchObject({ ran: true, faces: 2 });
    expect((await image(id)).faces.map((face) => face.personId)).toEqual([carol, ada]);

    // Carol deleted: W is Ada's again, and L, still nearest to Ada, falls back to Bob.
    await persons.delete(carol);
    expect(await replicas[0].job.runOnce()).toMatchObject({ ran: true, faces: 2 });
    const after = await image(id);
    expect(after.faces.map((face) => face.personId)).toEqual([ada, bob]);
    expect(after.faces[1].distance).toBeCloseTo(0.25, 5);
    expect(await statusesConsistent()).toBe(true);
  });

  it('a face stored as low quality stays unnamed when the person it is nearest to is enrolled', async () => {
    await replicas[0].gallery.refresh();
    const { id } = await replicas[0].dataSource.getRepository(ImageEntity).save({ path: `rematch/${++counter}.jpg`, status: 'pending' });
    expect(await replicas[0].processing.claim(id, 'token', POLICY)).toBe('claimed');
    const quality = { sharpness: 5, yaw: 0, pitch: 0, roll: 0, lowQuality: true, reasons: ['blurred'] };
    const faces = [descriptor(1, 0.1), descriptor(2, 0.1)].map((probe, index) => ({
      box: { x: 0, y: 0, width: 10, height: 10 },
      score: 0.9,
      personId: null,
      distance: null,
      descriptor: probe,
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
      ...(index === 0 ? { quality } : {}),
    }));
    await replicas[0].processing.complete(id, 'token', { width: 10, height: 10, faces, galleryVersion: replicas[0].gallery.version });
    await enrol('ada', 1);
    const bob = await enrol('bob', 2);
    expect(await replicas[0].job.runOnce()).toMatchObject({ ran: true, faces: 2 });
    const after = await image(id);
    expect(after.faces.map((face) => [face.personId, face.lowQuality])).toEqual([
      [null, true],
      [bob, false],
    ]);
    expect(after.faces[0].distance).toBeCloseTo(0.1, 4);
    expect(after.status).toBe('processed');
  });

  it("a batch never splits an image: the rest of the last image's stale faces come with it", async () => {
    await replicas[0].gallery.refresh();
    const first = await processImage([1, 2, 3]);
    const second = await processImage([4, 5, 6]);
    await enrol('ada', 1);
    const identities = new FaceIdentityRepository(replicas[0].dataSource);
    const batch = await identities.staleFaces(replicas[0].gallery.version + 1, 0, 4);
    expect(batch.faces.map((face) => face.imageId)).toEqual([first, first, first, second, second, second]);
    expect(batch.afterId).toBe(batch.faces[3].id);
    expect((await identities.staleFaces(replicas[0].gallery.version + 1, 0, 3)).faces.map((face) => face.imageId)).toEqual([first, first, first]);
  });

  it('review: a face assigned to someone names their other faces; a face rejected for someone never gets them back', async () => {
    await replicas[0].gallery.refresh();
    const first = await processImage([7]);
    const second = await processImage([7, 8]);
    const review = new FaceReviewRepository(replicas[0].dataSource);
    const firstFace = (await image(first)).faces[0];

    const assigned = await review.assign(firstFace.id, { name: 'grace' });
    expect(assigned).toMatchObject({ faceId: firstFace.id, imageId: first, personName: 'grace' });
    // The face itself is named in the assignment's transaction, the other faces by the re-match.
    expect(await image(first)).toMatchObject({
      status: 'processed',
      faces: [expect.objectContaining({ personId: assigned?.personId, distance: 0 })],
    });
    await replicas[0].job.runOnce();
    expect((await image(second)).faces.map((face) => face.personId)).toEqual([assigned?.personId, null]);
    expect(await statusesConsistent()).toBe(true);

    // "Not grace" on the second image's face; a look-alike enrolled under another name is the next nearest.
    const twin = await enrol('grace-twin', 7);
    await replicas[0].job.runOnce();
    const rejected = (await image(second)).faces[0];
    expect(rejected.personId).toBe(assigned?.personId);
    expect(await review.reject(rejected.id, assigned?.personId ?? -1)).toBe(true);
    expect(await image(second)).toMatchObject({ status: 'unrecognized', faces: [expect.objectContaining({ personId: null }), expect.anything()] });
    await replicas[0].job.runOnce();
    expect((await image(second)).faces[0].personId).toBe(twin);
    // Survives later gallery changes: another enrolment of grace, whole-gallery re-matches.
    await enrol('grace', 7);
    await persons.delete(twin);
    await replicas[0].job.runOnce();
    expect(await image(second)).toMatchObject({ status: 'unrecognized', faces: [expect.objectContaining({ personId: null }), expect.anything()] });
    expect((await image(first)).faces[0].personId).toBe(assigned?.personId);
    // Rejecting a person the face is not named after changes nothing.
    expect(await review.reject(rejected.id, assigned?.personId ?? -1)).toBe(false);
  });

  it('merging two people: the re-match names the images of the merged person after the one kept, and keeps "Not <name>" for both', async () => {
    const ada = await enrol('ada', 1);
    const adaL = await enrol('ada l', 2);
    await replicas[0].gallery.refresh();
    const adaImage = await processImage([1]);
    const adaLImage = await processImage([2, 9]);
    const rejectedImage = await processImage([2]);
    const review = new FaceReviewRepository(replicas[0].dataSource);
    const rejectedFace = (await image(rejectedImage)).faces[0];
    expect(rejectedFace.personId).toBe(adaL);
    // "Not ada l": a person that becomes ada by the merge.
    expect(await review.reject(rejectedFace.id, adaL)).toBe(true);
    await replicas[0].job.runOnce();
    expect(await image(rejectedImage)).toMatchObject({ status: 'unrecognized' });

    const merged = await persons.merge(adaL, ada);
    expect(merged).toMatchObject({
      person: { id: ada, knownFaceCount: 2 },
      mergedPerson: { id: adaL, name: 'ada l' },
      movedEnrolments: 1,
      movedFaces: 1,
    });
    // Named faces move in the merge's transaction; the person is gone.
    expect((await image(adaLImage)).faces.map((face) => face.personId)).toEqual([ada, null]);
    expect(await replicas[0].dataSource.getRepository(PersonEntity).findOneBy({ id: adaL })).toBeNull();
    // The move is logged (removed under ada l, added under ada), so the faces it decided are matched again in full.
    const logged = await replicas[0].dataSource.query('SELECT person_id AS personId, removed FROM gallery_changes WHERE version = ? ORDER BY id', [
      merged?.galleryVersion,
    ]);
    expect(
      logged.map((row: { personId: number | string; removed: number | string | boolean }) => [Number(row.personId), Number(row.removed)]),
    ).toEqual([
      [adaL, 1],
      [ada, 0],
    ]);
    const report = await replicas[0].job.runOnce();
    expect(report).toMatchObject({ ran: true });
    expect((await image(adaImage)).faces.map((face) => face.personId)).toEqual([ada]);
    expect(await image(adaLImage)).toMatchObject({
      status: 'processed',
      faces: [expect.objectContaining({ personId: ada }), expect.objectContaining({ personId: null })],
    });
    // Rejected for ada l, so for ada too: the moved enrolment does not name it.
    expect(await image(rejectedImage)).toMatchObject({ status: 'unrecognized', faces: [expect.objectContaining({ personId: null })] });
    expect(await statusesConsistent()).toBe(true);
  });

  it('two replicas re-matching at once end consistent: one holds the lock, each face written once per version', async () => {
    await replicas[0].gallery.refresh();
    const ids = [];
    for (let index = 0; index < 12; index++) ids.push(await processImage([index % 4, 100 + index]));
    const persons = [await enrol('p0', 0), await enrol('p1', 1), await enrol('p2', 2), await enrol('p3', 3)];

    const reports = await Promise.all(replicas.map((one) => one.job.runOnce()));
    const ran = reports.filter((report) => report.ran);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    // Whichever ran last found nothing or was locked out; the faces were written once against the version.
    expect(ran.reduce((sum, report) => sum + (report.ran ? report.faces : 0), 0)).toBe(24);
    for (const [index, id] of ids.entries()) {
      expect(await image(id)).toMatchObject({
        status: 'processed',
        faces: [expect.objectContaining({ personId: persons[index % 4] }), expect.objectContaining({ personId: null })],
      });
    }
  });

  it('the face version guards every write: a batch against an older gallery, or the same one twice, changes nothing', async () => {
    await replicas[0].gallery.refresh();
    const id = await processImage([5]);
    const face = (await image(id)).faces[0];
    const version = await replicas[0].identities.galleryVersion();
    const rematch: FaceRematch = { faceId: face.id, imageId: id, previousPersonId: null, personId: null, distance: 0.7 };
    expect((await replicas[0].identities.applyRematch(version + 2, [rematch])).updated).toBe(1);
    expect((await replicas[1].identities.applyRematch(version + 2, [rematch])).updated).toBe(0);
    expect((await replicas[1].identities.applyRematch(version + 1, [{ ...rematch, distance: 0.1 }])).updated).toBe(0);
    expect((await image(id)).faces[0]).toMatchObject({ galleryVersion: version + 2 });
    expect((await image(id)).faces[0].distance).toBeCloseTo(0.7, 5);
  });

  it('an interrupted re-match (database error mid-way) resumes where it stopped and ends like an uninterrupted one', async () => {
    await replicas[0].gallery.refresh();
    const ids = [];
    for (let index = 0; index < REMATCH_BATCH_SIZE / 50 + 2; index++)
      ids.push(await processImage(Array.from({ length: 50 }, (_, k) => (k === 0 ? 1 : 1000 + index * 50 + k))));
    const ada = await enrol('ada', 1);

    class FailingOnce extends FaceIdentityRepository {
      calls = 0;
      override async applyRematch(...args: Parameters<FaceIdentityRepository['applyRematch']>) {
        if (++this.calls === 2) throw new Error('connection lost');
        return super.applyRematch(...args);
      }
    }
    const failing = new FailingOnce(replicas[1].dataSource);
    const interrupted = replica(replicas[1].dataSource, failing);
    expect(await interrupted.job.tick()).toBeUndefined(); // logged, not thrown
    const version = await replicas[0].identities.galleryVersion();
    const done = await replicas[0].dataSource.getRepository(FaceEntity).countBy({ galleryVersion: version });
    expect(done).toBe(REMATCH_BATCH_SIZE); // the first batch committed, the second rolled back whole

    const resumed = await interrupted.job.runOnce();
    expect(resumed).toMatchObject({ ran: true, faces: ids.length * 50 - REMATCH_BATCH_SIZE });
    for (const id of ids) {
      const row = await image(id);
      expect(row.status).toBe('processed');
      expect(row.faces[0].personId).toBe(ada);
      expect(row.faces.slice(1).every((face) => face.personId === null && face.galleryVersion === version)).toBe(true);
    }
  });

  it('a person deleted while a re-match runs: the batch is refused whole, the next run uses the new gallery', async () => {
    await replicas[0].gallery.refresh();
    const id = await processImage([1]);
    const ada = await enrol('ada', 1);

    class DeletingMidway extends FaceIdentityRepository {
      override async staleFaces(...args: Parameters<FaceIdentityRepository['staleFaces']>): Promise<StaleFaceBatch> {
        const batch = await super.staleFaces(...args);
        if (batch.faces.length > 0) await persons.delete(ada);
        return batch;
      }
    }
    const racing = replica(replicas[1].dataSource, new DeletingMidway(replicas[1].dataSource));
    expect(await racing.job.runOnce()).toMatchObject({ ran: true, faces: 0, stoppedEarly: 'person_deleted' });
    expect(await image(id)).toMatchObject({ status: 'unrecognized', faces: [expect.objectContaining({ personId: null })] });

    expect(await replicas[0].job.runOnce()).toMatchObject({ ran: true, faces: 1, changedImages: 0 });
    expect(await statusesConsistent()).toBe(true);
  });

  it('faces older than the change log are matched against the whole gallery, on worker threads or not, alike', async () => {
    await replicas[0].gallery.refresh();
    const ids = [];
    for (let index = 0; index < 10; index++)
      ids.push(await processImage(Array.from({ length: 10 }, (_, k) => (k % 3 === 0 ? k : 500 + index * 10 + k))));
    const persons = [await enrol('p0', 0), await enrol('p3', 3), await enrol('p6', 6), await enrol('p9', 9)];
    // The log restarts after these faces' version: only the whole gallery can tell.
    await replicas[0].dataSource.query('UPDATE gallery_state SET changes_from = version');
    const version = await replicas[0].identities.galleryVersion();
    const snapshot = async () =>
      (await replicas[0].dataSource.getRepository(FaceEntity).find({ order: { id: 'ASC' } })).map((face) => [
        face.personId,
        face.distance?.toFixed(5),
      ]);

    const pooled = replica(replicas[0].dataSource);
    pooled.job.poolSize = 2;
    const workers = vi.spyOn(MatchPool.prototype, 'matchAll');
    expect(await pooled.job.runOnce()).toMatchObject({ ran: true, faces: 100, fullMatches: 100 });
    // The worker threads answered (a failing pool would have fallen back to the main thread).
    expect(workers).toHaveBeenCalledTimes(1);
    expect(await workers.mock.results[0].value).toHaveLength(100);
    workers.mockRestore();
    await pooled.job.onModuleDestroy();
    const withWorkers = await snapshot();
    const expected = Array.from({ length: 10 }, (_, k) => (k % 3 === 0 ? persons[k / 3] : null));
    for (const id of ids) expect((await image(id)).faces.map((face) => face.personId)).toEqual(expected);

    // The same faces again on the main thread only: the same identities and distances.
    await replicas[0].dataSource.query('UPDATE faces SET gallery_version = ?', [version - 1]);
    const inline = replica(replicas[0].dataSource);
    inline.job.poolSize = 1;
    expect(await inline.job.runOnce()).toMatchObject({ ran: true, faces: 100, fullMatches: 100 });
    expect(await snapshot()).toEqual(withWorkers);
  });

  it('skips faces stored without a descriptor; backfill sends their images back to be analysed again', async () => {
    await replicas[0].gallery.refresh();
    const legacy = await processImage([1]);
    await replicas[0].dataSource
      .createQueryBuilder()
      .update(FaceEntity)
      .set({ descriptor: null, galleryVersion: null })
      .where('image_id = :legacy', { legacy })
      .execute();
    const modern = await processImage([2]);
    await enrol('ada', 1);
    expect(await replicas[0].job.runOnce()).toMatchObject({ ran: true, faces: 1 });
    expect((await image(legacy)).faces[0]).toMatchObject({ personId: null, galleryVersion: null });

    const staleAfterMs = 60_000;
    expect(await replicas[0].identities.requeueImagesWithoutDescriptors(staleAfterMs, 100)).toEqual([legacy]);
    const requeued = await image(legacy);
    expect(requeued).toMatchObject({ status: 'pending', attempts: 0 });
    expect(Date.now() - requeued.updatedAt.getTime()).toBeGreaterThanOrEqual(staleAfterMs - 1_000);
    expect(await image(modern)).toMatchObject({ status: 'unrecognized' });
    expect(await replicas[0].identities.requeueImagesWithoutDescriptors(staleAfterMs, 100)).toEqual([]);
  });
});

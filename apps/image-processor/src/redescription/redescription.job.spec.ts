import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigService, parseConfig } from '@visage/config';
import { DESCRIPTOR_LENGTH, DescriptorRecipe, FaceAnalysis, FaceBox } from '@visage/domain';
import { GalleryService } from '@visage/matcher';
import {
  decodeDescriptor,
  encodeDescriptor,
  FaceEntity,
  FaceIdentityRepository,
  ImageEntity,
  LockRepository,
  PersonImageEntity,
  PersonImageRepository,
  PersonRef,
  RedescriptionRepository,
} from '@visage/persistence';
import { metrics } from '@visage/observability';
import { MigratedTestDatabase, openTestDatabase, Rows, TEST_DRIVERS } from '../../../../libs/persistence/test/test-databases';
import { FakeFaceAnalyzer } from '../../../../test/support/fake-face-analyzer';
import { processorSettingsFrom } from '../processor.settings';
import { boxIou, pairByOverlap, RedescriptionJob } from './redescription.job';

/** A descriptor per (person seed, recipe): the two recipes of one face differ, as real ones do. */
function descriptor(seed: number, recipe: DescriptorRecipe): Float32Array {
  return Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, index) => Math.sin(seed * 37 + index + (recipe === 'crop' ? 0.5 : 0)) / 4);
}

const BOX_A: FaceBox = { x: 10, y: 10, width: 100, height: 100 };
const BOX_B: FaceBox = { x: 300, y: 10, width: 80, height: 80 };

/**
 * The recognizer's answer to the bytes it is sent: each test file's content names the faces in it (`seed@x`),
 * described in `recipe`, the recipe it is configured with.
 */
function answerIn(recipe: () => DescriptorRecipe) {
  return async (content: Buffer): Promise<FaceAnalysis> => {
    const faces = content
      .toString()
      .split(' ')
      .filter(Boolean)
      .map((token) => {
        const [seed, x] = token.split('@').map(Number);
        // Found again a few pixels off, as a re-analysis would.
        return { box: { x: x + 3, y: 12, width: 98, height: 97 }, score: 0.9, descriptor: descriptor(seed, recipe()) };
      });
    return { width: 640, height: 480, faces, recipe: recipe() };
  };
}

describe('pairing faces by overlap', () => {
  it('pairs each stored face with the found face it overlaps most, once, and none below the overlap limit', () => {
    expect(boxIou(BOX_A, BOX_A)).toBe(1);
    expect(boxIou(BOX_A, BOX_B)).toBe(0);
    const shifted = { ...BOX_A, x: 15 };
    expect(pairByOverlap([BOX_A, BOX_B], [BOX_B, shifted])).toEqual([1, 0]);
    // Two stored faces on one found face: the closer keeps it.
    expect(pairByOverlap([shifted, BOX_A], [BOX_A])).toEqual([-1, 0]);
    expect(pairByOverlap([BOX_A], [{ ...BOX_A, x: 80 }])).toEqual([-1]);
  });
});

describe.each(TEST_DRIVERS)('re-describing a database to chip-flip on $name', (driver) => {
  let database: MigratedTestDatabase;
  let rows: Rows;
  let root: string;
  let recognizer: FakeFaceAnalyzer;
  let recognizerRecipe: DescriptorRecipe;
  let job: RedescriptionJob;
  let repository: RedescriptionRepository;
  let gallery: GalleryService;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await openTestDatabase(driver, 'visage_redescribe');
    rows = new Rows(database.dataSource);
    root = mkdtempSync(join(tmpdir(), 'visage-redescribe-'));
    mkdirSync(join(root, 'known'));
  });

  afterAll(async () => {
    await database?.close();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    const dataSource = database.dataSource;
    for (const table of ['faces', 'images', 'gallery_changes', 'person_images', 'persons']) await dataSource.query(`DELETE FROM ${table}`);
    const config = parseConfig({ IMAGES_ROOT: root, KNOWN_FACES_DIR: join(root, 'known'), FACE_DESCRIPTOR_RECIPE: 'chip-flip' });
    recognizerRecipe = 'chip-flip';
    recognizer = new FakeFaceAnalyzer(
      async () => {
        throw new Error('the job sends content');
      },
      answerIn(() => recognizerRecipe),
    );
    repository = new RedescriptionRepository(dataSource, 'chip-flip');
    job = new RedescriptionJob(
      repository,
      new LockRepository(dataSource),
      recognizer,
      new ConfigService(config),
      processorSettingsFrom(config, 'redescribe-test'),
      false,
    );
    gallery = new GalleryService(new PersonImageRepository(dataSource, 'chip-flip'), { rule: { threshold: 0.5, margin: 0 }, refreshMs: 60_000 });
  });

  /** A database as it was before recipes: enrolments and faces of `crop`. */
  async function legacyDatabase(): Promise<{ ada: PersonRef; faces: { named: number; unnamed: number; vanished: number; fileGone: number } }> {
    const legacy = new PersonImageRepository(database.dataSource, 'crop');
    const ada = await legacy.findOrCreatePerson('Ada');
    const bob = await legacy.findOrCreatePerson('Bob');
    writeFileSync(join(root, 'ada.jpg'), '1@10');
    writeFileSync(join(root, 'known', 'bob_1.jpg'), '2@10');
    await legacy.replaceEnrolment({
      personId: ada.id,
      sourceName: 'path:ada.jpg',
      contentHash: 'a'.repeat(64),
      descriptor: descriptor(1, 'crop'),
      recipe: 'crop',
    });
    await legacy.replaceEnrolment({
      personId: bob.id,
      sourceName: 'known:bob_1.jpg',
      contentHash: 'b'.repeat(64),
      descriptor: descriptor(2, 'crop'),
      recipe: 'crop',
    });
    await legacy.replaceEnrolment({
      personId: bob.id,
      sourceName: 'path:deleted.jpg',
      contentHash: 'c'.repeat(64),
      descriptor: descriptor(2, 'crop'),
      recipe: 'crop',
    });
    // Two images: one whose second face is no longer found, one whose file is gone.
    writeFileSync(join(root, 'party.jpg'), '1@10 3@600');
    const party = await rows.image('party.jpg', { status: 'processed' });
    const gone = await rows.image('gone.jpg', { status: 'unrecognized' });
    const face = async (imageId: number, person: PersonRef | null, box: FaceBox, seed: number) => {
      const stored = await rows.face(imageId, person, box);
      await database.dataSource
        .getRepository(FaceEntity)
        .update({ id: stored.id }, { descriptor: encodeDescriptor(descriptor(seed, 'crop')), galleryVersion: 3 });
      return stored.id;
    };
    const named = await face(party.id, ada, BOX_A, 1);
    const vanished = await face(party.id, null, BOX_B, 4);
    const fileGone = await face(gone.id, null, BOX_A, 5);
    const unnamed = await face((await rows.image('third.jpg', { status: 'unrecognized' })).id, null, BOX_A, 6);
    writeFileSync(join(root, 'third.jpg'), '6@10');
    return { ada, faces: { named, unnamed, vanished, fileGone } };
  }

  it('moves enrolments first, then faces a few images at a time; resumable, with its progress, and no recipes mixed', async () => {
    const { ada, faces } = await legacyDatabase();
    // Before: nothing of the configured recipe, so the gallery is empty rather than comparing crop with chip-flip.
    expect(await job.readProgress()).toEqual({
      recipe: 'chip-flip',
      enrolments: { done: 0, waiting: 3, failed: 0 },
      faces: { done: 0, waiting: 4, failed: 0 },
    });
    await gallery.refresh();
    expect(gallery.snapshot().descriptors).toBe(0);
    const identities = new FaceIdentityRepository(database.dataSource, 'chip-flip');
    expect(await identities.hasStaleFaces(1_000)).toBe(false);

    const versionBefore = await new PersonImageRepository(database.dataSource).version();
    expect(await job.redescribeEnrolments()).toEqual({ done: 2, failed: 1 });
    const enrolled = await database.dataSource.getRepository(PersonImageEntity).find({ order: { id: 'ASC' } });
    expect(enrolled.map((row) => [row.sourceName, row.descriptorRecipe, row.redescriptionError !== null])).toEqual([
      ['path:ada.jpg', 'chip-flip', false],
      ['known:bob_1.jpg', 'chip-flip', false],
      ['path:deleted.jpg', 'crop', true],
    ]);
    expect(Array.from(decodeDescriptor(enrolled[0].descriptor))).toEqual(Array.from(descriptor(1, 'chip-flip')));
    // Each re-description is a gallery change: the version moved, and the log holds the new descriptors as added.
    expect(await new PersonImageRepository(database.dataSource).version()).toBe(versionBefore + 2);
    const added = await database.dataSource.query<Array<{ descriptor_recipe: string; removed: number | boolean }>>(
      'SELECT descriptor_recipe, removed FROM gallery_changes WHERE person_image_id = ? ORDER BY id',
      [enrolled[0].id],
    );
    expect(added.map((row) => [row.descriptor_recipe, Boolean(Number(row.removed))]).slice(-2)).toEqual([
      ['crop', true],
      ['chip-flip', false],
    ]);
    await gallery.refresh();
    expect(gallery.snapshot()).toMatchObject({ descriptors: 2, persons: 2 });

    // Faces: one image per run here, so the job is seen stopping and resuming.
    expect(await job.redescribeFaces(1)).toEqual({ images: 1, faces: 1, facesFailed: 1 });
    expect((await job.readProgress()).faces).toEqual({ done: 1, waiting: 2, failed: 1 });
    const named = await database.dataSource.getRepository(FaceEntity).findOneByOrFail({ id: faces.named });
    // Re-described: the new descriptor, kept on Ada until the re-match job matches it (version 0, no distance).
    expect([named.descriptorRecipe, named.personId, named.galleryVersion, named.distance]).toEqual(['chip-flip', ada.id, 0, null]);
    expect(Array.from(decodeDescriptor(named.descriptor as Buffer))).toEqual(Array.from(descriptor(1, 'chip-flip')));
    expect(await identities.hasStaleFaces(1)).toBe(true);
    const stale = await identities.staleFaces(1_000, 0, 10);
    expect(stale.faces.map((face) => face.id)).toEqual([faces.named]);
    const vanished = await database.dataSource.getRepository(FaceEntity).findOneByOrFail({ id: faces.vanished });
    expect([vanished.descriptorRecipe, vanished.redescriptionError]).toEqual(['crop', 'the face was not found again in its image']);

    const calls = recognizer.contentCalls;
    expect(await job.redescribeFaces(10)).toEqual({ images: 2, faces: 1, facesFailed: 1 });
    // Only the two images still waiting were analysed: what was done or failed is not tried again.
    expect(recognizer.contentCalls - calls).toBe(1);
    expect(await job.readProgress()).toEqual({
      recipe: 'chip-flip',
      enrolments: { done: 2, waiting: 0, failed: 1 },
      faces: { done: 2, waiting: 0, failed: 2 },
    });
    expect((await database.dataSource.getRepository(FaceEntity).findOneByOrFail({ id: faces.fileGone })).redescriptionError).toBe(
      'its image file is gone',
    );
    expect((await database.dataSource.getRepository(FaceEntity).findOneByOrFail({ id: faces.unnamed })).descriptorRecipe).toBe('chip-flip');
    expect(await job.runOnce()).toEqual({ ran: false, reason: 'up_to_date' });
    const gauge = await metrics.descriptorsToRedescribe.get();
    const value = (kind: string, state: string) => gauge.values.find((entry) => entry.labels.kind === kind && entry.labels.state === state)?.value;
    expect([value('faces', 'waiting'), value('faces', 'failed'), value('enrolments', 'failed')]).toEqual([0, 2, 1]);
  });

  it('waits while the recognizer computes another recipe, and stores nothing of it', async () => {
    await legacyDatabase();
    recognizerRecipe = 'crop';
    await expect(job.redescribeEnrolments()).rejects.toThrow(/computes crop descriptors/);
    expect((await job.readProgress()).enrolments).toEqual({ done: 0, waiting: 3, failed: 0 });
    recognizerRecipe = 'chip-flip';
    expect(await job.runOnce()).toMatchObject({ ran: true, enrolments: 2, enrolmentsFailed: 1, images: 3 });
    expect((await job.readProgress()).faces.waiting).toBe(0);
  });

  it('re-describes a review enrolment from its face in its image', async () => {
    const ada = await rows.person('Ada');
    writeFileSync(join(root, 'review.jpg'), '7@10');
    const image = await rows.image('review.jpg', { status: 'processed' });
    const face = await rows.face(image.id, ada, BOX_A);
    await database.dataSource.getRepository(PersonImageEntity).save({
      personId: ada.id,
      sourceName: `review:${face.id}`,
      contentHash: 'd'.repeat(64),
      descriptor: encodeDescriptor(descriptor(7, 'crop')),
      descriptorRecipe: 'crop',
    });
    expect(await job.redescribeEnrolments()).toEqual({ done: 1, failed: 0 });
    const [enrolment] = await database.dataSource.getRepository(PersonImageEntity).find();
    expect(Array.from(decodeDescriptor(enrolment.descriptor))).toEqual(Array.from(descriptor(7, 'chip-flip')));
    expect(await database.dataSource.getRepository(ImageEntity).count()).toBe(1);
  });
});

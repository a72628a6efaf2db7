import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigService, parseConfig } from '@visage/config';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH, FaceAnalysis, FaceAnalysisError } from '@visage/domain';
import { KNOWN_SOURCE_PREFIX, PersonImageRepository, PersonRepository } from '@visage/persistence';
import { MARIADB_DRIVER, MigratedTestDatabase, openTestDatabase } from '../../persistence/test/test-databases';
import { DOMINANCE_MARGIN } from '../src/dominant-face';
import { EnrolmentService } from '../src/enrolment.service';
import { KnownFacesEnroller } from '../src/known-faces.enroller';
import { FakeFaceAnalyzer } from '../../../test/support/fake-face-analyzer';

/**
 * What the fake recognizer answers for a file's content, which says what it "shows":
 * `faces:<n>:<seed>` (n faces of one size side by side across the middle), `faces:<n>:<seed>:dominant` (the first
 * large and central, the others small in the top left), `blurred` (one face below the quality rule), `broken` (a permanent error) or `down` (a transient one).
 */
async function answerForContent(content: Buffer): Promise<FaceAnalysis> {
  const text = content.toString();
  if (text === 'broken') throw new FaceAnalysisError('permanent', 'INVALID_ARGUMENT: corrupt: premature end', 'INVALID_ARGUMENT');
  if (text === 'down') throw new FaceAnalysisError('transient', 'UNAVAILABLE: connection refused', 'UNAVAILABLE');
  if (text === 'blurred') {
    const quality = { size: 120, score: 0.9, sharpness: 12, yaw: 0, pitch: 0, roll: 0 };
    return {
      width: 100,
      height: 100,
      recipe: DEFAULT_DESCRIPTOR_RECIPE,
      faces: [{ box: { x: 0, y: 0, width: 120, height: 120 }, score: 0.9, descriptor: new Float32Array(DESCRIPTOR_LENGTH).fill(0.1), quality }],
    };
  }
  const [, count, seed] = text.split(':').map(Number);
  const dominant = text.endsWith(':dominant');
  return {
    width: 100,
    height: 100,
    recipe: DEFAULT_DESCRIPTOR_RECIPE,
    faces: Array.from({ length: count }, (_, i) => ({
      box: dominant
        ? i === 0
          ? { x: 30, y: 30, width: 40, height: 40 }
          : { x: 10 * i, y: 0, width: 10, height: 10 }
        : { x: 50 - 5 * count + 10 * i, y: 45, width: 10, height: 10 },
      score: 0.9,
      descriptor: Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, k) => Math.sin(seed + i + k)),
    })),
  };
}

describe('enrolment (MariaDB, scripted recognizer)', () => {
  let database: MigratedTestDatabase;
  let repository: PersonImageRepository;
  const analyzer = new FakeFaceAnalyzer(async () => {
    throw new Error('enrolment must send the content, not a path');
  }, answerForContent);
  const root = mkdtempSync(join(tmpdir(), 'visage-enrolment-'));
  const known = join(root, 'known');
  let enroller: KnownFacesEnroller;
  let service: EnrolmentService;

  beforeAll(async () => {
    database = await openTestDatabase(MARIADB_DRIVER, 'visage_enrolment');
    repository = new PersonImageRepository(database.dataSource);
    const config = new ConfigService(parseConfig({ IMAGES_ROOT: root, KNOWN_FACES_DIR: 'known' }));
    enroller = new KnownFacesEnroller(repository, analyzer, config);
    service = new EnrolmentService(repository, analyzer, config);
    mkdirSync(known);
  });

  afterAll(async () => {
    await database?.close();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    analyzer.contentCalls = 0;
  });

  it('enrols the folder once, skipping what cannot be enrolled and saying why', async () => {
    writeFileSync(join(known, 'john_doe_1.jpg'), 'faces:1:1');
    writeFileSync(join(known, 'john_doe_2.jpg'), 'faces:1:2');
    writeFileSync(join(known, 'barack-obama_1.jpg'), 'faces:1:3');
    writeFileSync(join(known, 'crowd_1.jpg'), 'faces:3:4');
    writeFileSync(join(known, 'empty-room_1.jpg'), 'faces:0:5');
    writeFileSync(join(known, 'damaged_1.jpg'), 'broken');
    writeFileSync(join(known, 'blank_1.jpg'), '');
    writeFileSync(join(known, 'notes.txt'), 'faces:1:6');

    const report = await enroller.enrolAll();
    expect(report.enrolled).toEqual(['barack-obama_1.jpg', 'john_doe_1.jpg', 'john_doe_2.jpg']);
    expect(Object.fromEntries(report.skipped.map(({ file, reason }) => [file, reason]))).toEqual({
      'crowd_1.jpg': `3 faces found and none clearly dominant (the largest and most central by ${DOMINANCE_MARGIN}×); use a photo of the person alone or where they stand out`,
      'empty-room_1.jpg': 'no face found',
      'damaged_1.jpg': expect.stringContaining('corrupt'),
      'blank_1.jpg': 'not a usable image (empty file)',
      'notes.txt': expect.stringContaining('<name>_<n>'),
    });
    const gallery = (await repository.loadGallery()).entries;
    expect(gallery.map((row) => row.personName).sort()).toEqual(['barack-obama', 'john doe', 'john doe']);
  });

  it('is idempotent: a second run analyses nothing new', async () => {
    const before = await repository.version();
    const report = await enroller.enrolAll();
    expect(report.enrolled).toEqual([]);
    expect(report.unchanged).toEqual(['barack-obama_1.jpg', 'john_doe_1.jpg', 'john_doe_2.jpg']);
    expect(analyzer.contentCalls).toBe(3); // only the three files that were skipped before are looked at again
    expect(await repository.version()).toBe(before);
  });

  it('re-enrols changed files, drops removed ones, and keeps old rows when the recognizer is down', async () => {
    writeFileSync(join(known, 'john_doe_1.jpg'), 'faces:1:42');
    unlinkSync(join(known, 'john_doe_2.jpg'));
    writeFileSync(join(known, 'barack-obama_1.jpg'), 'down');
    const report = await enroller.enrolAll();
    expect(report.enrolled).toEqual(['john_doe_1.jpg']);
    expect(report.removed).toEqual(['john_doe_2.jpg']);
    expect(report.failed.map(({ file }) => file)).toEqual(['barack-obama_1.jpg']);
    const sources = (await repository.listByPrefix(KNOWN_SOURCE_PREFIX)).map((row) => row.sourceName).sort();
    expect(sources).toEqual([`${KNOWN_SOURCE_PREFIX}barack-obama_1.jpg`, `${KNOWN_SOURCE_PREFIX}john_doe_1.jpg`]);
    const john = (await repository.loadGallery()).entries.find((row) => row.personName === 'john doe');
    expect(john?.descriptor[0]).toBeCloseTo(Math.sin(42), 5);
  });

  it('enrols the clearly dominant face of a photo with several, and says so in the log', async () => {
    writeFileSync(join(known, 'ada_1.jpg'), 'faces:3:11:dominant');
    const logged: string[] = [];
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void logged.push(String(message)));
    try {
      expect((await enroller.enrolAll()).enrolled).toEqual(['ada_1.jpg']);
    } finally {
      log.mockRestore();
    }
    expect(logged).toContain('known face ada_1.jpg: the photo shows 3 faces: the clearly dominant one (largest and most central) was enrolled');
    const ada = (await repository.loadGallery()).entries.find((row) => row.personName === 'ada');
    expect(ada?.descriptor[0]).toBeCloseTo(Math.sin(11), 5); // face 0, the dominant one
    rmSync(join(known, 'ada_1.jpg'));
  });

  it('drops the descriptor of a file that no longer shows exactly one face', async () => {
    writeFileSync(join(known, 'john_doe_1.jpg'), 'faces:2:7');
    await enroller.enrolAll();
    expect((await repository.loadGallery()).entries.some((row) => row.personName === 'john doe')).toBe(false);
  });

  it('enrols a file whose name differs only in case for the person already named so (names ignore case)', async () => {
    writeFileSync(join(known, 'Hedy_Lamarr_1.jpg'), 'faces:1:21');
    writeFileSync(join(known, 'HEDY_LAMARR_2.jpg'), 'faces:1:22');
    const report = await enroller.enrolAll();
    expect(report.enrolled).toEqual(expect.arrayContaining(['HEDY_LAMARR_2.jpg', 'Hedy_Lamarr_1.jpg']));
    const hedy = (await repository.loadGallery()).entries.filter((row) => row.personName.toLowerCase() === 'hedy lamarr');
    expect(hedy).toHaveLength(2);
    expect(new Set(hedy.map((row) => row.personId)).size).toBe(1);
    rmSync(join(known, 'Hedy_Lamarr_1.jpg'));
    rmSync(join(known, 'HEDY_LAMARR_2.jpg'));
    await enroller.enrolAll();
  });

  it('enrols per-person folders beside flat files, and reports what in them it skipped', async () => {
    mkdirSync(join(known, 'stuart', 'old'), { recursive: true });
    writeFileSync(join(known, 'stuart', 'beach.jpg'), 'faces:1:8');
    writeFileSync(join(known, 'stuart', 'IMG_0042.png'), 'faces:1:9');
    writeFileSync(join(known, 'stuart', 'notes.txt'), 'faces:1:10');
    const report = await enroller.enrolAll();
    expect(report.enrolled).toEqual(['stuart/IMG_0042.png', 'stuart/beach.jpg']);
    expect(Object.fromEntries(report.skipped.filter(({ file }) => file.startsWith('stuart/')).map(({ file, reason }) => [file, reason]))).toEqual({
      'stuart/notes.txt': 'not an image file (by its extension)',
      'stuart/old': expect.stringContaining('not a file'),
    });
    expect((await repository.loadGallery()).entries.filter((row) => row.personName === 'stuart')).toHaveLength(2);

    rmSync(join(known, 'stuart', 'beach.jpg'));
    expect((await enroller.enrolAll()).removed).toEqual(['stuart/beach.jpg']);
  });

  it('never enrols again the file of a deleted person (tombstone by content hash), until the file changes or the tombstones are cleared', async () => {
    const persons = new PersonRepository(database.dataSource);
    const forgetZed = async () => {
      const zed = (await repository.loadGallery()).entries.find((row) => row.personName === 'zed');
      expect(await persons.delete(zed!.personId)).toBe(true);
    };
    const hasZed = async () => (await repository.loadGallery()).entries.some((row) => row.personName === 'zed');
    writeFileSync(join(known, 'zed_1.jpg'), 'faces:1:11');
    expect((await enroller.enrolAll()).enrolled).toEqual(['zed_1.jpg']);
    await forgetZed();
    const restarted = await enroller.enrolAll();
    expect(restarted.forgotten).toEqual(['zed_1.jpg']);
    expect(restarted.enrolled).toEqual([]);
    expect(await hasZed()).toBe(false);

    writeFileSync(join(known, 'zed_1.jpg'), 'faces:1:12'); // a changed file is another file
    expect((await enroller.enrolAll()).enrolled).toEqual(['zed_1.jpg']);
    await forgetZed();
    expect((await enroller.enrolAll()).forgotten).toEqual(['zed_1.jpg']);
    expect(await repository.clearForgottenKnownFaces()).toBe(2);
    expect((await enroller.enrolAll()).enrolled).toEqual(['zed_1.jpg']);
    expect(await hasZed()).toBe(true);
  });

  describe('enrolFromPath', () => {
    it('enrols one face for an existing person, and replaces it when the same path is enrolled again', async () => {
      const person = await repository.findOrCreatePerson('ada');
      writeFileSync(join(root, 'ada.jpg'), 'faces:1:9');
      const first = await service.enrolFromPath(person.id, 'ada.jpg');
      expect(first).toEqual({
        status: 'enrolled',
        personId: person.id,
        personName: 'ada',
        path: 'ada.jpg',
        personImageId: expect.any(Number),
        facesInPhoto: 1,
      });
      const again = await service.enrolFromPath(person.id, 'ada.jpg');
      expect(again.status).toBe('enrolled');
      expect((await repository.loadGallery()).entries.filter((row) => row.personName === 'ada')).toHaveLength(1);
    });

    it('takes the dominant face of several and says so in the answer', async () => {
      const person = await repository.findOrCreatePerson('ada');
      writeFileSync(join(root, 'ada-and-friends.jpg'), 'faces:2:12:dominant');
      expect(await service.enrolFromPath(person.id, 'ada-and-friends.jpg')).toMatchObject({
        status: 'enrolled',
        facesInPhoto: 2,
        note: 'the photo shows 2 faces: the clearly dominant one (largest and most central) was enrolled',
      });
    });

    it('answers each refusal with its own status', async () => {
      const person = await repository.findOrCreatePerson('grace');
      writeFileSync(join(root, 'two.jpg'), 'faces:2:1');
      writeFileSync(join(root, 'none.jpg'), 'faces:0:1');
      writeFileSync(join(root, 'bad.jpg'), 'broken');
      expect(await service.enrolFromPath(999_999, 'two.jpg')).toEqual({ status: 'person_not_found', personId: 999_999 });
      expect(await service.enrolFromPath(person.id, 'two.jpg')).toEqual({ status: 'several_faces', path: 'two.jpg', count: 2 });
      expect(await service.enrolFromPath(person.id, 'none.jpg')).toEqual({ status: 'no_face', path: 'none.jpg' });
      expect(await service.enrolFromPath(person.id, 'bad.jpg')).toMatchObject({
        status: 'invalid_image',
        reason: expect.stringContaining('corrupt'),
      });
      expect(await service.enrolFromPath(person.id, '../etc/passwd')).toMatchObject({ status: 'invalid_path', problem: 'outside_root' });
      expect(await service.enrolFromPath(person.id, 'missing.jpg')).toMatchObject({ status: 'invalid_path', problem: 'not_found' });
      expect(await service.enrolFromPath(person.id, 42)).toMatchObject({ status: 'invalid_path', problem: 'path_not_string' });
    });

    it('lets a transient recognizer failure through for the caller to answer 503', async () => {
      const person = await repository.findOrCreatePerson('linus');
      writeFileSync(join(root, 'down.jpg'), 'down');
      await expect(service.enrolFromPath(person.id, 'down.jpg')).rejects.toMatchObject({ kind: 'transient' });
    });
  });

  it('refuses a face of low quality, from the folder and from a path, saying why', async () => {
    writeFileSync(join(known, 'blurry_1.jpg'), 'blurred');
    const report = await enroller.enrolAll();
    expect(report.skipped).toContainEqual({ file: 'blurry_1.jpg', reason: 'the face is of low quality (blurred)' });
    const person = await repository.findOrCreatePerson('blurry');
    expect(await service.enrolFromPath(person.id, 'known/blurry_1.jpg')).toEqual({
      status: 'low_quality',
      path: 'known/blurry_1.jpg',
      reasons: ['blurred'],
    });
    expect((await repository.loadGallery()).entries.some((row) => row.personName === 'blurry')).toBe(false);
  });
});

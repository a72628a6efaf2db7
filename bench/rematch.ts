/**
 * Re-match benchmark: 100,000 stored faces re-matched by the real RematchJob against a 10,000-descriptor gallery
 * (2,500 persons × 4 enrolments) — database reads, matching, version-guarded writes and status recomputation
 * included. Half the faces are near an enrolled person, half are strangers. Three passes:
 *   1. full: the faces' version predates the change log, so each is compared with the whole gallery (worst case);
 *   2. one person enrolled: each face is compared with the 4 new enrolments only;
 *   3. one person deleted: erasure takes their descriptors out of the change log too, so every face is compared
 *      with the whole remaining gallery.
 * Target: ≤ 60 s on the 2-core development machine, memory flat (heap sampled through each pass).
 *
 *   npm run bench:rematch                       (SQLite in a temp dir)
 *   BENCH_DATABASE=mariadb npm run bench:rematch (a MariaDB scratch database)
 *   BENCH_FACES=100000 BENCH_GALLERY=10000 by default
 */
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { parseConfig } from '@visage/config';
import { GalleryService } from '@visage/matcher';
import { DEFAULT_DESCRIPTOR_RECIPE, MatchRule } from '@visage/domain';
import {
  encodeDescriptor,
  FaceIdentityRepository,
  LockRepository,
  PersonImageRepository,
  personNameKey,
  PersonRepository,
} from '@visage/persistence';
import { processorSettingsFrom } from '../apps/image-processor/src/processor.settings';
import { RematchJob } from '../apps/image-processor/src/rematch/rematch.job';
import { timed } from './machine';
import { runOnScratchDatabase } from './scratch-database';
import { makeDescriptors } from './synthetic-faces';

const FACES = Number(process.env.BENCH_FACES ?? 100_000);
const GALLERY = Number(process.env.BENCH_GALLERY ?? 10_000);
const PER_PERSON = 4;
const FACES_PER_IMAGE = 2;
const INSERT_BATCH = 1_000;
const RULE: MatchRule = { threshold: 0.49, margin: 0.08 };

async function fill(dataSource: DataSource): Promise<void> {
  const { centroid, around } = makeDescriptors(42);
  const persons = Math.ceil(GALLERY / PER_PERSON);
  for (let first = 1; first <= persons; first += INSERT_BATCH) {
    const ids = Array.from({ length: Math.min(INSERT_BATCH, persons - first + 1) }, (_, i) => first + i);
    await dataSource.query(
      `INSERT INTO persons (id, name, name_key) VALUES ${ids.map(() => '(?, ?, ?)').join(',')}`,
      ids.flatMap((id) => [id, `person ${id}`, personNameKey(`person ${id}`)]),
    );
  }
  for (let first = 0; first < GALLERY; first += INSERT_BATCH) {
    const rows = Array.from({ length: Math.min(INSERT_BATCH, GALLERY - first) }, (_, i) => first + i);
    await dataSource.query(
      `INSERT INTO person_images (person_id, source_name, content_hash, descriptor, descriptor_recipe) VALUES ${rows.map(() => `(?, ?, ?, ?, '${DEFAULT_DESCRIPTOR_RECIPE}')`).join(',')}`,
      rows.flatMap((row) => {
        const person = (row % persons) + 1;
        return [person, `path:enrol/${row}.jpg`, 'f'.repeat(64), encodeDescriptor(around(centroid(person)))];
      }),
    );
  }
  const images = Math.ceil(FACES / FACES_PER_IMAGE);
  for (let first = 1; first <= images; first += INSERT_BATCH) {
    const ids = Array.from({ length: Math.min(INSERT_BATCH, images - first + 1) }, (_, i) => first + i);
    await dataSource.query(
      `INSERT INTO images (id, path, status, width, height) VALUES ${ids.map(() => "(?, ?, 'unrecognized', 640, 480)").join(',')}`,
      ids.flatMap((id) => [id, `stream/${id}.jpg`]),
    );
    const faces = ids.flatMap((id) => Array.from({ length: FACES_PER_IMAGE }, (_, k) => ({ id, k })));
    await dataSource.query(
      `INSERT INTO faces (image_id, person_id, box_x, box_y, box_width, box_height, score, distance, descriptor, descriptor_recipe, gallery_version) VALUES ${faces.map(() => `(?, NULL, 10, 10, 50, 50, 0.9, NULL, ?, '${DEFAULT_DESCRIPTOR_RECIPE}', 0)`).join(',')}`,
      faces.flatMap(({ id, k }) => {
        // Even faces: someone enrolled; odd faces: strangers (persons beyond the gallery).
        const person = k % 2 === 0 ? (id % persons) + 1 : persons + id;
        return [id, encodeDescriptor(around(centroid(person)))];
      }),
    );
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** Runs the job until nothing is stale; prints time, faces/s, how many needed the whole gallery, memory. */
async function pass(name: string, dataSource: DataSource, job: RematchJob): Promise<void> {
  global.gc?.();
  const samples: Array<{ heap: number; rss: number }> = [];
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    samples.push({ heap: usage.heapUsed, rss: usage.rss });
  }, 250);
  let faces = 0;
  let fullMatches = 0;
  let changed = 0;
  const { seconds, cpuSeconds } = await timed(async () => {
    for (;;) {
      const report = await job.runOnce();
      if (!report.ran) break;
      faces += report.faces;
      fullMatches += report.fullMatches;
      changed += report.changedImages;
      if (!report.stoppedEarly) break;
    }
  });
  clearInterval(sampler);
  const named = await dataSource.query('SELECT COUNT(*) AS count FROM faces WHERE person_id IS NOT NULL');
  const third = Math.max(1, Math.floor(samples.length / 3));
  const peak = (list: typeof samples, key: 'heap' | 'rss') => (list.length ? mib(Math.max(...list.map((sample) => sample[key]))) : '-');
  console.log(`${name}:`);
  console.log(
    `  ${faces} faces in ${seconds.toFixed(1)} s (${Math.round(faces / seconds)} faces/s; CPU ${cpuSeconds.toFixed(1)} s over all its threads, ` +
      `what an idle machine's cores would need), ${fullMatches} against the whole gallery; ` +
      `${changed} images changed identity; ${Number(named[0].count)} faces named (target ≤ 60 s)`,
  );
  console.log(
    `  memory: heap peak ${peak(samples.slice(0, third), 'heap')} MiB in the first third, ${peak(samples.slice(-third), 'heap')} MiB in the last; ` +
      `RSS peak ${peak(samples.slice(0, third), 'rss')} → ${peak(samples.slice(-third), 'rss')} MiB (${samples.length} samples)`,
  );
}

runOnScratchDatabase('rematch', async (dataSource, type) => {
  const filled = performance.now();
  await fill(dataSource);
  console.log(
    `data: ${FACES} faces in ${Math.ceil(FACES / FACES_PER_IMAGE)} images, gallery ${GALLERY} descriptors, ${type} (filled in ${((performance.now() - filled) / 1000).toFixed(1)} s)`,
  );

  const gallery = new GalleryService(new PersonImageRepository(dataSource), { rule: RULE, refreshMs: 60_000 });
  const settings = processorSettingsFrom(parseConfig({}), 'bench');
  const job = new RematchJob(new FaceIdentityRepository(dataSource), new LockRepository(dataSource), gallery, settings, false);
  const loaded = performance.now();
  await gallery.refresh();
  console.log(
    `gallery loaded: ${gallery.size} descriptors of ${gallery.persons} persons, version ${gallery.version}, ${(performance.now() - loaded).toFixed(0)} ms`,
  );

  await pass('full (every face against the whole gallery)', dataSource, job);
  const enrolments = new PersonImageRepository(dataSource);
  const newcomer = await enrolments.findOrCreatePerson('newcomer');
  const { centroid, around } = makeDescriptors(4242);
  for (let k = 0; k < PER_PERSON; k++) {
    await enrolments.replaceEnrolment({
      personId: newcomer.id,
      sourceName: `path:newcomer/${k}.jpg`,
      contentHash: 'e'.repeat(64),
      descriptor: around(centroid(10 ** 7)),
      recipe: 'chip-flip',
    });
  }
  await pass(`one person enrolled (${PER_PERSON} enrolments)`, dataSource, job);
  await new PersonRepository(dataSource).delete(1);
  await pass(`one person deleted (${PER_PERSON} enrolments)`, dataSource, job);
  // Stops the match workers and their ONNX Runtime sessions.
  await job.onModuleDestroy();
});

/**
 * Clustering benchmark: 100,000 unknown faces (BENCH_PEOPLE people, the same number of photos each, in random
 * order) grouped by the real ClusterJob — database reads, grouping, merging and writes included — then one new
 * face of a known group placed by an incremental run. Prints how well the groups follow the people (purity:
 * faces in a group that are its majority person; split: people spread over more than one group).
 * Targets: all faces grouped ≤ 60 s on the 2-core development machine; a new face joins its group ≤ 50 ms.
 *
 *   npm run bench:clusters                        (SQLite in a temp dir)
 *   BENCH_DATABASE=mariadb npm run bench:clusters (a MariaDB scratch database)
 *   BENCH_FACES=100000 BENCH_PEOPLE=2000 by default
 */
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { parseConfig } from '@visage/config';
import { DEFAULT_DESCRIPTOR_RECIPE } from '@visage/domain';
import { ClusteringRepository, encodeDescriptor, LockRepository } from '@visage/persistence';
import { ClusterJob } from '../apps/image-processor/src/clusters/cluster.job';
import { processorSettingsFrom } from '../apps/image-processor/src/processor.settings';
import { timed } from './machine';
import { normalDeviates } from '../libs/matcher/test/random-descriptors';
import { runOnScratchDatabase } from './scratch-database';
import { makeDescriptors } from './synthetic-faces';

const FACES = Number(process.env.BENCH_FACES ?? 100_000);
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 2_000);
const INSERT_BATCH = 1_000;

/** Who each face is (face i of the fill is person personOf[i]), shuffled deterministically. */
function people(): number[] {
  const order = Array.from({ length: FACES }, (_, index) => index % PEOPLE);
  const gauss = normalDeviates(7);
  for (let index = order.length - 1; index > 0; index--) {
    const other = Math.floor(((Math.atan(gauss()) / Math.PI + 0.5) * (index + 1)) % (index + 1));
    [order[index], order[other]] = [order[other], order[index]];
  }
  return order;
}

async function fill(dataSource: DataSource, personOf: number[]): Promise<Map<number, number>> {
  const { centroid, around } = makeDescriptors(42);
  const faceToPerson = new Map<number, number>();
  for (let first = 0; first < FACES; first += INSERT_BATCH) {
    const ids = Array.from({ length: Math.min(INSERT_BATCH, FACES - first) }, (_, i) => first + i + 1);
    await dataSource.query(
      `INSERT INTO images (id, path, status, width, height) VALUES ${ids.map(() => "(?, ?, 'unrecognized', 640, 480)").join(',')}`,
      ids.flatMap((id) => [id, `stream/${id}.jpg`]),
    );
    await dataSource.query(
      `INSERT INTO faces (id, image_id, person_id, box_x, box_y, box_width, box_height, score, distance, descriptor, descriptor_recipe, gallery_version) VALUES ${ids.map(() => `(?, ?, NULL, 10, 10, 50, 50, 0.9, NULL, ?, '${DEFAULT_DESCRIPTOR_RECIPE}', 1)`).join(',')}`,
      ids.flatMap((id) => {
        faceToPerson.set(id, personOf[id - 1]);
        return [id, id, encodeDescriptor(around(centroid(personOf[id - 1])))];
      }),
    );
  }
  return faceToPerson;
}

async function quality(dataSource: DataSource, faceToPerson: Map<number, number>): Promise<string> {
  const rows: Array<{ face_id: number | string; cluster_id: number | string | null }> = await dataSource.query(
    'SELECT face_id, cluster_id FROM cluster_members',
  );
  const groups = new Map<number, Map<number, number>>();
  const groupsOfPerson = new Map<number, Set<number>>();
  for (const row of rows) {
    if (row.cluster_id === null) continue;
    const person = faceToPerson.get(Number(row.face_id));
    if (person === undefined) continue;
    const counts = groups.get(Number(row.cluster_id)) ?? new Map<number, number>();
    counts.set(person, (counts.get(person) ?? 0) + 1);
    groups.set(Number(row.cluster_id), counts);
    groupsOfPerson.set(person, (groupsOfPerson.get(person) ?? new Set()).add(Number(row.cluster_id)));
  }
  let majority = 0;
  let total = 0;
  for (const counts of groups.values()) {
    majority += Math.max(...counts.values());
    for (const count of counts.values()) total += count;
  }
  const split = [...groupsOfPerson.values()].filter((set) => set.size > 1).length;
  return `${groups.size} groups for ${PEOPLE} people; purity ${((100 * majority) / total).toFixed(2)} %; ${split} people split over several groups`;
}

runOnScratchDatabase('clusters', async (dataSource, type) => {
  const filling = performance.now();
  const personOf = people();
  const faceToPerson = await fill(dataSource, personOf);
  console.log(`data: ${FACES} unknown faces of ${PEOPLE} people, ${type} (filled in ${((performance.now() - filling) / 1000).toFixed(1)} s)`);

  const settings = processorSettingsFrom(parseConfig({}), 'bench');
  const job = new ClusterJob(new ClusteringRepository(dataSource), new LockRepository(dataSource), settings, false);
  const { result: report, seconds, cpuSeconds } = await timed(() => job.runOnce({ sweep: true }));
  if (!report.ran) throw new Error(`the job did not run: ${report.reason}`);
  console.log(
    `grouped ${report.faces} faces in ${seconds.toFixed(1)} s (target ≤ 60 s; this process used ${cpuSeconds.toFixed(1)} s of CPU): ` +
      `${report.created} groups started, ${report.merged} merged (threshold ${settings.clusterThreshold})`,
  );
  console.log(`  ${await quality(dataSource, faceToPerson)}`);

  // One new photo of person 0, as the processor stores it, then the incremental run that places it.
  const { centroid, around } = makeDescriptors(42);
  const timings: number[] = [];
  for (let round = 0; round < 5; round++) {
    const id = FACES + round + 1;
    await dataSource.query("INSERT INTO images (id, path, status, width, height) VALUES (?, ?, 'unrecognized', 640, 480)", [id, `stream/${id}.jpg`]);
    await dataSource.query(
      `INSERT INTO faces (id, image_id, box_x, box_y, box_width, box_height, score, descriptor, descriptor_recipe, gallery_version) VALUES (?, ?, 10, 10, 50, 50, 0.9, ?, '${DEFAULT_DESCRIPTOR_RECIPE}', 1)`,
      [id, id, encodeDescriptor(around(centroid(personOf[0])))],
    );
    faceToPerson.set(id, personOf[0]);
    const one = performance.now();
    const incremental = await job.runOnce({ sweep: false });
    timings.push(performance.now() - one);
    if (!incremental.ran || incremental.faces !== 1 || incremental.created !== 0)
      throw new Error(`the new face did not join a group: ${JSON.stringify(incremental)}`);
  }
  const [joined] = await dataSource.query('SELECT cluster_id FROM cluster_members WHERE face_id = ?', [FACES + 1]);
  const [first] = await dataSource.query('SELECT cluster_id FROM cluster_members WHERE face_id = ?', [personOf.indexOf(personOf[0]) + 1]);
  console.log(
    `a new face joins its group in ${timings.map((ms) => ms.toFixed(1)).join(', ')} ms (5 runs, target ≤ 50 ms; the whole incremental run: ` +
      `lock, group load, read, place, write); joined the group of its person's first photo: ${Number(joined.cluster_id) === Number(first.cluster_id)}`,
  );
});

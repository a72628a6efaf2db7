/**
 * Dashboard benchmark: 100,000 image rows (+ faces, persons) in a MariaDB scratch database, then the time
 * the frontend takes to answer each kind of page, measured at the HTTP client over loopback (so it includes
 * routing, queries and template rendering: an upper bound of the server time). Target: ≤ 100 ms per page.
 *
 *   npm run bench:dashboard            (BENCH_IMAGES=100000 BENCH_RUNS=20 by default)
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { parseConfig } from '@visage/config';
import { IMAGE_STATUSES, ImageStatus } from '@visage/domain';
import { createFrontendApp } from '../apps/frontend/src/frontend.app';
import { signIn } from '../apps/frontend/test/harness';
import { TEST_AUTH_ENV } from '../libs/auth/test/test-keys';
import { DashboardImageRepository, DashboardPersonRepository, personNameKey } from '@visage/persistence';
import { createScratchMysqlDatabase } from '../libs/persistence/test/test-databases';
import { onMigrated, runBench } from './scratch-database';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const PERSONS = 100;
const BATCH = 2_000;

/** Deterministic pseudo-random numbers, so every run builds the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function pickStatus(r: number): ImageStatus {
  if (r < 0.6) return 'processed';
  if (r < 0.8) return 'unrecognized';
  if (r < 0.9) return 'pending';
  if (r < 0.98) return 'failed';
  return 'processing';
}

function sqlTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

async function fill(dataSource: DataSource): Promise<{ failedIds: number[]; personNames: string[] }> {
  const rand = random(42);
  const personNames = Array.from({ length: PERSONS }, (_, i) => `Person ${String(i + 1).padStart(3, '0')}`);
  await dataSource.query(
    `INSERT INTO persons (name, name_key) VALUES ${personNames.map(() => '(?, ?)').join(',')}`,
    personNames.flatMap((name) => [name, personNameKey(name)]),
  );
  const start = Date.now() - IMAGES * 1_000;
  const failedIds: number[] = [];
  for (let offset = 0; offset < IMAGES; offset += BATCH) {
    const images: unknown[] = [];
    const faces: unknown[] = [];
    const count = Math.min(BATCH, IMAGES - offset);
    for (let i = 0; i < count; i += 1) {
      const id = offset + i + 1;
      const status = pickStatus(rand());
      const time = sqlTime(start + id * 1_000);
      images.push(
        `cameras/cam-${id % 17}/2024-${String((id % 12) + 1).padStart(2, '0')}/img-${String(id).padStart(6, '0')}.jpg`,
        status,
        status === 'failed' ? 1 + (id % 5) : 0,
        status === 'failed' ? 'recognizer unavailable: deadline exceeded' : null,
        status === 'processed' || status === 'unrecognized' ? 1920 : null,
        status === 'processed' || status === 'unrecognized' ? 1080 : null,
        time,
        time,
      );
      if (status === 'failed') failedIds.push(id);
      const faceCount = status === 'processed' ? 1 + Math.floor(rand() * 3) : status === 'unrecognized' ? Math.floor(rand() * 2) : 0;
      for (let f = 0; f < faceCount; f += 1) {
        const matched = status === 'processed' && f === 0;
        faces.push(id, matched ? 1 + Math.floor(rand() * PERSONS) : null, 100 + f * 300, 200, 180, 220, 0.95, matched ? 0.3 + rand() * 0.25 : null);
      }
    }
    await dataSource.query(
      `INSERT INTO images (id, path, status, attempts, last_error, width, height, created_at, updated_at) VALUES ${Array.from(
        { length: count },
        (_, i) => `(${offset + i + 1},?,?,?,?,?,?,?,?)`,
      ).join(',')}`,
      images,
    );
    if (faces.length > 0) {
      await dataSource.query(
        `INSERT INTO faces (image_id, person_id, box_x, box_y, box_width, box_height, score, distance) VALUES ${Array(faces.length / 8)
          .fill('(?,?,?,?,?,?,?,?)')
          .join(',')}`,
        faces,
      );
    }
  }
  await dataSource.query('ANALYZE TABLE images, faces, persons');
  return { failedIds, personNames };
}

function stats(samples: number[]): { min: number; median: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { min: sorted[0], median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

async function time(label: string, run: () => Promise<unknown>, rows: string[][]): Promise<void> {
  for (let i = 0; i < 3; i += 1) await run(); // warm caches and the query planner
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await run();
    samples.push(performance.now() - started);
    const used = process.cpuUsage(cpuStarted);
    cpu.push((used.user + used.system) / 1000);
  }
  const { min, median, p95, max } = stats(samples);
  rows.push([label, min.toFixed(1), median.toFixed(1), p95.toFixed(1), max.toFixed(1), stats(cpu).median.toFixed(1), p95 <= 100 ? 'yes' : 'NO']);
}

runBench(async () => {
  const scratch = await createScratchMysqlDatabase('visage_bench');
  await onMigrated(scratch, async (dataSource) => {
    const [{ version }] = (await dataSource.query('SELECT VERSION() AS version')) as Array<{ version: string }>;
    console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`);
    console.log(
      `node ${process.version}, MariaDB ${version}, load average at start ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (shared machine)`,
    );

    const filled = performance.now();
    const { failedIds, personNames } = await fill(dataSource);
    const [{ faces }] = (await dataSource.query('SELECT COUNT(*) AS faces FROM faces')) as Array<{ faces: string }>;
    console.log(`inserted ${IMAGES} images, ${faces} faces, ${PERSONS} persons in ${((performance.now() - filled) / 1000).toFixed(1)} s`);

    const config = parseConfig({
      NODE_ENV: 'production',
      DATABASE_URL: scratch.url,
      IMAGES_ROOT: '/nonexistent-bench-root',
      LOG_LEVEL: 'error',
      ...TEST_AUTH_ENV,
    });
    const app = await createFrontendApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    // Every page needs a session: signed in once through the login form, as a person would.
    const { cookie } = await signIn(app);
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`, { headers: { cookie } });
      const body = await response.text();
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return body;
    };

    const repository = new DashboardImageRepository(dataSource);
    const personRepository = new DashboardPersonRepository(dataSource);
    const deepCursor = 1_000; // page ~1,980 of 2,000
    const deepFailed = failedIds[Math.floor(failedIds.length * 0.05)];
    const person = personNames[41];
    const since = new Date(Date.now() - 30_000).toISOString();
    const pageRows: string[][] = [];
    await time('GET /  (page 1, 50 rows)', () => get('/'), pageRows);
    await time(`GET /?older=${deepCursor}  (deep page)`, () => get(`/?older=${deepCursor}`), pageRows);
    await time('GET /?status=failed  (status page 1)', () => get('/?status=failed'), pageRows);
    await time(`GET /?status=failed&older=${deepFailed}  (deep status page)`, () => get(`/?status=failed&older=${deepFailed}`), pageRows);
    await time(`GET /?q=${person}  (person search)`, () => get(`/?q=${encodeURIComponent(person)}`), pageRows);
    await time('GET /?q=img-0999  (path substring search)', () => get('/?q=img-0999'), pageRows);
    await time('GET /?q=nobody  (search without hits: full scan)', () => get('/?q=nobody'), pageRows);
    await time('GET /api/images/changes  (live poll)', () => get(`/api/images/changes?since=${since}`), pageRows);
    await time(`GET /images/${failedIds[0]}  (detail)`, () => get(`/images/${failedIds[0]}`), pageRows);
    await time('GET /persons  (100 persons)', () => get('/persons'), pageRows);
    await time('repository.listImages page 1', () => repository.listImages({ limit: 50 }), pageRows);
    await time('repository.listPersons', () => personRepository.listPersons(), pageRows);
    await time('repository.countByStatus', () => repository.countByStatus(), pageRows);

    console.log(`\n${RUNS} runs each after 3 warm-up runs; ms at the HTTP client over loopback (includes rendering).`);
    console.log('node cpu = CPU time of this process per request (server + client; not MariaDB), less sensitive to a busy machine\n');
    const header = ['request', 'min', 'median', 'p95', 'max', 'node cpu', '≤100ms p95'];
    const widths = header.map((h, i) => Math.max(h.length, ...pageRows.map((row) => row[i].length)));
    const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
    console.log(line(header));
    pageRows.forEach((row) => console.log(line(row)));
    console.log(`\nstatus mix: ${JSON.stringify(await repository.countByStatus())} (statuses: ${IMAGE_STATUSES.join(', ')})`);
    await app.close();
  });
});

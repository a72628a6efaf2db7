/**
 * Pipeline benchmark: N images through receiver → queue → processor → recognizer, on both stacks in one run
 * (embedded SQLite + in-process queue; MariaDB + the NSQ test server), against the recognizer's own rate on the
 * same files, in the same process, with the same concurrency. Prints images/s end to end, the recognizer's
 * images/s, the pipeline overhead = (pipeline time − recognizer time) / recognizer time (target ≤ 10 %),
 * p50/p95 latency per image (POST → final status seen) and the machine.
 *
 * The machine is shared, and its load swings by 2× within a minute, so passes alternate
 * (recognizer, pipeline, recognizer, pipeline, …, recognizer) and each pipeline pass is compared with the mean
 * of the recognizer passes on either side. The CPU time of the whole process (all threads: recognizer workers,
 * Nest apps, the test nsqd, this client) per pass is printed too: it moves with other people's load far less than
 * wall time does (±15 % here against ±30 %: a busy sibling hyperthread still slows every instruction), so the CPU
 * overhead is the steadier figure.
 *
 * Then LATENCY_IMAGES more images one at a time (no backlog), alternating pipeline and recognizer, for the latency
 * the pipeline adds to one image.
 *
 *   npm run bench:pipeline -- --images 60 --rounds 2 --latency-images 15 --stacks sqlite,mysql   (also: mysql-inprocess)
 *
 * Runs through vite-node (SWC: Nest needs decorator metadata, which plain tsx does not emit).
 * Env: BENCH_IMAGES, BENCH_ROUNDS, BENCH_LATENCY_IMAGES, BENCH_STACKS, BENCH_POST_CONCURRENCY (8), QUEUE_MAX_IN_FLIGHT (4),
 * RECOGNIZER_WORKERS (0 = one per core), FACE_ENGINE (auto), TEST_MYSQL_URL, VISAGE_FACES_DIR.
 */
import 'reflect-metadata';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { parseConfig, VisageConfig } from '@visage/config';
import { bearer, TEST_AUTH_ENV } from '../libs/auth/test/test-keys';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { EmbeddedVisage, startEmbedded } from '../apps/embedded/src/embedded';
import { NsqTestServer } from '../test/nsq/nsq-test-server';
import { createScratchMysqlDatabase, TestDatabase } from '../libs/persistence/test/test-databases';
import { FACES_DIR, noLabelledFacesReason } from '../test/support/faces';
import { machineLine, percentile } from './machine';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_ENV } from '../libs/recognizer-client/test/test-token';
import { sleep } from '../test/support/until';

/** `mysql-inprocess` (MariaDB with the in-process queue) separates the database's share from the NSQ hop's. */
type Stack = 'sqlite' | 'mysql' | 'mysql-inprocess';
const STACK_LABELS: Record<Stack, string> = {
  sqlite: 'SQLite + in-process queue',
  mysql: 'MariaDB + NSQ (test nsqd in this process)',
  'mysql-inprocess': 'MariaDB + in-process queue',
};

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const IMAGES = Number(argument('images') ?? process.env.BENCH_IMAGES ?? 60);
const ROUNDS = Number(argument('rounds') ?? process.env.BENCH_ROUNDS ?? 2);
const STACKS = (argument('stacks') ?? process.env.BENCH_STACKS ?? 'sqlite,mysql').split(',').map((s) => s.trim()) as Stack[];
const POST_CONCURRENCY = Number(process.env.BENCH_POST_CONCURRENCY ?? 8);
const POLL_MS = 50;
const LATENCY_IMAGES = Number(argument('latency-images') ?? process.env.BENCH_LATENCY_IMAGES ?? 15);
const LATENCY_POLL_MS = 10;
const FINAL = new Set(['processed', 'unrecognized', 'failed']);
const TIMEOUT_MS = 15 * 60_000;

if (!Number.isInteger(IMAGES) || IMAGES < 1) throw new RangeError('--images must be a positive integer');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new RangeError('--rounds must be a positive integer');
if (!Number.isInteger(LATENCY_IMAGES) || LATENCY_IMAGES < 0) throw new RangeError('--latency-images must be 0 or more');
for (const stack of STACKS) if (!(stack in STACK_LABELS)) throw new RangeError(`unknown stack ${stack} (${Object.keys(STACK_LABELS).join(', ')})`);

/**
 * Copies the known faces (so matching really happens) and N inputs, cycled from unknown/, groups/ and strangers/
 * under distinct names (the receiver refuses a path twice). Everything lives under os.tmpdir(), never the repo.
 */
function prepareImagesRoot(root: string, folderName: string, count: number): string[] {
  const sources = ['unknown', 'groups', 'strangers'].flatMap((folder) =>
    readdirSync(join(FACES_DIR, folder))
      .sort()
      .map((file) => ({ folder, file })),
  );
  mkdirSync(join(root, folderName), { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const { folder, file } = sources[i % sources.length];
    const relative = `${folderName}/${String(i).padStart(4, '0')}-${folder}-${file}`;
    copyFileSync(join(FACES_DIR, folder, file), join(root, relative));
    paths.push(relative);
  }
  return paths;
}

function copyKnownFaces(root: string): void {
  mkdirSync(join(root, 'known'), { recursive: true });
  for (const file of readdirSync(join(FACES_DIR, 'known'))) copyFileSync(join(FACES_DIR, 'known', file), join(root, 'known', file));
}

/** Runs `task` over `items` with at most `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) await task(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

interface Measured {
  wallMs: number;
  /** CPU time of this whole process (every thread) during the pass. */
  cpuMs: number;
  latencies: number[];
}

/** Wall and CPU time of `task`. */
async function timed<T extends object>(task: () => Promise<T>): Promise<T & { wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await task();
  const used = process.cpuUsage(cpu);
  return { ...result, wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

function describe(label: string, count: number, { wallMs, cpuMs, latencies }: Measured): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return (
    `${label}: ${count} images in ${(wallMs / 1000).toFixed(2)} s → ${(count / (wallMs / 1000)).toFixed(2)} images/s; ` +
    `latency p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p95 ${percentile(sorted, 0.95).toFixed(0)} ms; CPU ${(cpuMs / count).toFixed(0)} ms/image`
  );
}

/** The recognizer alone: the same files over gRPC with the processor's concurrency (QUEUE_MAX_IN_FLIGHT). */
function recognizerRun(analyzer: GrpcFaceAnalyzer, paths: string[], concurrency: number): Promise<Measured & { faces: number }> {
  return timed(async () => {
    const latencies: number[] = [];
    let faces = 0;
    await pool(paths, concurrency, async (path) => {
      const t0 = performance.now();
      const analysis = await analyzer.analyze(path, { deadlineMs: 300_000 });
      latencies.push(performance.now() - t0);
      faces += analysis.faces.length;
    });
    return { latencies, faces };
  });
}

interface ImageRow {
  id: number;
  path: string;
  status: string;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: bearer() });
  if (!response.ok) throw new Error(`GET ${url} → ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * The finished images, read straight from the database the apps share (one indexed query). Polling the receiver's
 * list instead cost the process as much CPU as a tenth of the recognizer's work (JSON of every row ten times a
 * second) and so measured the bench, not the pipeline.
 */
interface FinishedImages {
  /** The newest image id now: a pass's own images come after it. */
  lastId(): Promise<number>;
  /** Finished images with an id above `afterId` (earlier rounds' rows are left out: reading them was the bench's cost). */
  after(afterId: number): Promise<ImageRow[]>;
}

function finishedImages(dataSource: DataSource): FinishedImages {
  return {
    lastId: async () => Number(((await dataSource.query('SELECT COALESCE(MAX(id), 0) AS id FROM images')) as Array<{ id: number | string }>)[0].id),
    after: (afterId) =>
      dataSource.query(`SELECT id, path, status FROM images WHERE id > ? AND status IN ('processed', 'unrecognized', 'failed')`, [afterId]),
  };
}

/**
 * The pipeline: every path POSTed to the receiver (POST_CONCURRENCY at a time), and the database polled every
 * POLL_MS until every image has a final status. Times are taken at the client, so they include the HTTP round
 * trip of the POST and up to one polling interval.
 */
async function pipelineRun(receiver: string, finished: FinishedImages, paths: string[]): Promise<Measured & { statuses: Record<string, number> }> {
  const cpu = process.cpuUsage();
  const postedAt = new Map<number, number>();
  const finishedAt = new Map<number, number>();
  const statuses: Record<string, number> = {};
  const ours = new Set(paths);
  const before = await finished.lastId();
  const started = performance.now();
  let posting = true;
  const posts = pool(paths, POST_CONCURRENCY, async (path) => {
    const t0 = performance.now();
    const response = await fetch(`${receiver}/image/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer() },
      body: JSON.stringify({ path }),
    });
    const body = (await response.json()) as { id?: number };
    if (response.status !== 202 || typeof body.id !== 'number') throw new Error(`POST ${path} → ${response.status} ${JSON.stringify(body)}`);
    postedAt.set(body.id, t0);
  }).finally(() => (posting = false));

  const deadline = Date.now() + TIMEOUT_MS;
  while (posting || finishedAt.size < paths.length) {
    await sleep(POLL_MS);
    const now = performance.now();
    for (const row of await finished.after(before)) {
      // Only this pass's images: earlier rounds' rows are finished too.
      if (ours.has(row.path) && FINAL.has(row.status) && !finishedAt.has(row.id)) {
        finishedAt.set(row.id, now);
        statuses[row.status] = (statuses[row.status] ?? 0) + 1;
      }
    }
    if (Date.now() > deadline) throw new Error(`only ${finishedAt.size}/${paths.length} images finished in ${TIMEOUT_MS / 1000} s`);
  }
  await posts;
  const used = process.cpuUsage(cpu);
  const latencies = [...finishedAt].map(([id, at]) => at - (postedAt.get(id) ?? started));
  return { wallMs: Math.max(...finishedAt.values()) - started, cpuMs: (used.user + used.system) / 1000, latencies, statuses };
}

/**
 * Latency without a backlog: one image at a time, alternately through the pipeline (POST, then its row read every
 * LATENCY_POLL_MS until final) and straight to the recognizer, so both see the same machine load.
 */
async function oneByOnePass(
  receiver: string,
  dataSource: DataSource,
  analyzer: GrpcFaceAnalyzer,
  paths: string[],
): Promise<{ pipeline: number[]; recognizer: number[] }> {
  const pipeline: number[] = [];
  const recognizer: number[] = [];
  for (const path of paths) {
    const t0 = performance.now();
    const response = await fetch(`${receiver}/image/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer() },
      body: JSON.stringify({ path }),
    });
    const { id } = (await response.json()) as { id: number };
    for (;;) {
      const [row] = (await dataSource.query('SELECT status FROM images WHERE id = ?', [id])) as Array<{ status: string }>;
      if (row && FINAL.has(row.status)) break;
      await sleep(LATENCY_POLL_MS);
    }
    pipeline.push(performance.now() - t0);
    const t1 = performance.now();
    await analyzer.analyze(path, { deadlineMs: 300_000 });
    recognizer.push(performance.now() - t1);
  }
  return { pipeline, recognizer };
}

/** Known faces are enrolled by the processor once the recognizer serves: wait until the enrolled count stops growing. */
async function waitForEnrolment(receiver: string): Promise<number> {
  const deadline = Date.now() + 300_000;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const { items } = await getJson<{ items: Array<{ knownFaceCount: number }> }>(`${receiver}/persons`);
    const enrolled = items.reduce((sum, person) => sum + person.knownFaceCount, 0);
    if (enrolled !== last) {
      last = enrolled;
      stableSince = Date.now();
    } else if (enrolled > 0 && Date.now() - stableSince > 4_000) {
      return enrolled;
    }
    if (Date.now() > deadline) throw new Error('known faces not enrolled within 300 s');
    await sleep(500);
  }
}

interface StackResult {
  stack: string;
  pipelineRate: number;
  recognizerRate: number;
  overhead: number;
  cpuOverhead: number;
  latencies: number[];
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** What an interrupted run (Ctrl-C) still has to remove: the scratch database and the temporary images. */
const cleanups = new Set<() => Promise<void>>();
process.once('SIGINT', () => {
  console.error('interrupted: removing the scratch database and temporary files');
  // A signal handler cannot be awaited; the process exits once every cleanup settled.
  void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).then(() => process.exit(130));
});

async function runStack(stack: Stack): Promise<StackResult> {
  const root = mkdtempSync(join(tmpdir(), `visage-bench-${stack}-`));
  const removeRoot = async () => rmSync(root, { recursive: true, force: true });
  cleanups.add(removeRoot);
  let scratch: TestDatabase | undefined;
  let nsqd: NsqTestServer | undefined;
  let visage: EmbeddedVisage | undefined;
  let analyzer: GrpcFaceAnalyzer | undefined;
  try {
    copyKnownFaces(join(root, 'images'));
    const rounds = Array.from({ length: ROUNDS }, (_, round) => prepareImagesRoot(join(root, 'images'), `in${round}`, IMAGES));
    const oneByOne = prepareImagesRoot(join(root, 'images'), 'one-by-one', LATENCY_IMAGES);
    const env: NodeJS.ProcessEnv = {
      IMAGES_ROOT: join(root, 'images'),
      DATABASE_URL: `sqlite:${join(root, 'visage.sqlite')}`,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...TEST_AUTH_ENV,
      GALLERY_REFRESH_MS: '1000',
      RECOGNIZER_WORKERS: process.env.RECOGNIZER_WORKERS ?? '0',
      FACE_ENGINE: process.env.FACE_ENGINE ?? 'auto',
      QUEUE_MAX_IN_FLIGHT: process.env.QUEUE_MAX_IN_FLIGHT ?? '4',
    };
    if (stack !== 'sqlite') {
      scratch = await createScratchMysqlDatabase('visage_bench');
      cleanups.add(scratch.drop);
      env.DATABASE_URL = scratch.url;
    }
    if (stack === 'mysql') {
      nsqd = await NsqTestServer.start();
      // Direct nsqd: a lookupd consumer only finds the topic at its next poll after the first publish.
      env.NSQD_TCP_ADDRESSES = nsqd.tcpAddress;
      env.NSQD_TCP_ADDRESS = nsqd.tcpAddress;
    }
    const parsed = parseConfig({ ...env, ...TEST_RECOGNIZER_ENV });
    const config: VisageConfig = {
      ...parsed,
      RECEIVER_PORT: 0,
      FRONTEND_PORT: 0,
      PROCESSOR_HEALTH_PORT: 0,
      FACE_RECOGNITION_PORT: 0,
      FACE_RECOGNITION_HEALTH_PORT: 0,
    };
    const label = STACK_LABELS[stack];
    console.log(
      `\n== ${label}: ${ROUNDS} round(s) of ${IMAGES} images, processor maxInFlight ${config.QUEUE_MAX_IN_FLIGHT}, recognizer workers ${config.RECOGNIZER_WORKERS || 'one per core'}`,
    );
    const bootStarted = performance.now();
    visage = await startEmbedded(config, { host: '127.0.0.1' });
    const receiver = `http://127.0.0.1:${visage.ports.receiver}`;
    const client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${visage.ports.grpc}`, deadlineMs: 300_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
    analyzer = client;
    const dataSource = visage.receiver.get(DataSource);
    const finished = finishedImages(dataSource);
    const enrolled = await waitForEnrolment(receiver);
    console.log(`started and ${enrolled} known faces enrolled in ${((performance.now() - bootStarted) / 1000).toFixed(1)} s`);

    const concurrency = config.QUEUE_MAX_IN_FLIGHT;
    const alone = (paths: string[]) => recognizerRun(client, paths, concurrency);
    const recognizerPasses: Measured[] = [];
    const pipelinePasses: Measured[] = [];
    const first = await alone(rounds[0]);
    recognizerPasses.push(first);
    console.log(describe(`  recognizer alone (gRPC, ${concurrency} in flight)`, IMAGES, first));
    const faceCount = first.faces;
    for (const paths of rounds) {
      const pipeline = await pipelineRun(receiver, finished, paths);
      pipelinePasses.push(pipeline);
      console.log(describe(`  pipeline (POST → final status)        `, IMAGES, pipeline));
      console.log(`    outcomes: ${JSON.stringify(pipeline.statuses)}; faces found by the recognizer alone: ${faceCount}`);
      const pass = await alone(paths);
      recognizerPasses.push(pass);
      console.log(describe(`  recognizer alone (gRPC, ${concurrency} in flight)`, IMAGES, pass));
    }
    // Each pipeline pass against the mean of the recognizer passes just before and just after it.
    const neighbours = (key: 'wallMs' | 'cpuMs') => sum(pipelinePasses.map((_, k) => (recognizerPasses[k][key] + recognizerPasses[k + 1][key]) / 2));
    const pipelineMs = sum(pipelinePasses.map((pass) => pass.wallMs));
    const recognizerMs = neighbours('wallMs');
    const overhead = (pipelineMs - recognizerMs) / recognizerMs;
    const cpuOverhead = (sum(pipelinePasses.map((pass) => pass.cpuMs)) - neighbours('cpuMs')) / neighbours('cpuMs');
    const total = IMAGES * ROUNDS;
    const pipelineRate = total / (pipelineMs / 1000);
    const recognizerRate = total / (recognizerMs / 1000);
    const latencies = pipelinePasses.flatMap((pass) => pass.latencies).sort((a, b) => a - b);
    console.log(
      `  → pipeline ${pipelineRate.toFixed(2)} images/s vs recognizer ${recognizerRate.toFixed(2)} images/s: ` +
        `overhead ${(overhead * 100).toFixed(1)} % of wall time (target ≤ 10 %), ${(cpuOverhead * 100).toFixed(1)} % of CPU time; ` +
        `pipeline latency p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p95 ${percentile(latencies, 0.95).toFixed(0)} ms`,
    );
    if (LATENCY_IMAGES > 0) {
      const single = await oneByOnePass(receiver, dataSource, client, oneByOne);
      const p = (values: number[], fraction: number) =>
        percentile(
          [...values].sort((a, b) => a - b),
          fraction,
        ).toFixed(0);
      console.log(
        `  one image at a time (${LATENCY_IMAGES}, no backlog): pipeline POST → final status p50 ${p(single.pipeline, 0.5)} ms, p95 ${p(single.pipeline, 0.95)} ms; ` +
          `recognizer alone p50 ${p(single.recognizer, 0.5)} ms, p95 ${p(single.recognizer, 0.95)} ms; ` +
          `mean added by the pipeline ${((sum(single.pipeline) - sum(single.recognizer)) / single.pipeline.length).toFixed(0)} ms/image (polling every ${LATENCY_POLL_MS} ms)`,
      );
    }
    console.log(`  ${machineLine()}`);
    return { stack: label, pipelineRate, recognizerRate, overhead, cpuOverhead, latencies };
  } finally {
    analyzer?.close();
    await visage?.close();
    await nsqd?.stop();
    if (scratch) {
      cleanups.delete(scratch.drop);
      await scratch.drop();
    }
    cleanups.delete(removeRoot);
    await removeRoot();
  }
}

async function main(): Promise<void> {
  const skipReason = noLabelledFacesReason('bench:pipeline (it runs on the labelled faces)');
  if (skipReason) {
    console.log(skipReason);
    return;
  }
  console.log(machineLine());
  const results: StackResult[] = [];
  for (const stack of STACKS) results.push(await runStack(stack));
  console.log('\nsummary');
  for (const result of results) {
    console.log(
      `  ${result.stack.padEnd(44)} pipeline ${result.pipelineRate.toFixed(2).padStart(6)} images/s, recognizer ${result.recognizerRate.toFixed(2).padStart(6)} images/s, ` +
        `overhead ${(result.overhead * 100).toFixed(1).padStart(5)} % wall, ${(result.cpuOverhead * 100).toFixed(1).padStart(5)} % CPU; ` +
        `latency p50 ${percentile(result.latencies, 0.5).toFixed(0)} ms, p95 ${percentile(result.latencies, 0.95).toFixed(0)} ms`,
    );
  }
  console.log(machineLine());
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);

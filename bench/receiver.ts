/**
 * `npm run bench:receiver`: throughput and latency of `POST /image/post` on MariaDB, for the Nest receiver
 * and, in the same run, a bare node:http + mysql2 server doing the same work (API key, content-type and body
 * checks, resolveImagePath, INSERT with duplicate detection, publish). Prints both and the ratio.
 *
 * Both servers run in their own child process (own heap and JIT) with their own scratch database, the
 * same distinct files (every request is a new path, so each one is a real insert) and a fake publisher
 * that completes immediately. The load generator runs in a worker thread of the parent with a fixed
 * number of keep-alive connections and stops after the last file.
 * Rounds alternate between the servers so background load on the machine hits both alike.
 *
 * Both check the API key (sha256, one lookup among the active keys); the Nest receiver also counts submissions.
 *
 * Env: BENCH_FILES (default 3000), BENCH_WARMUP (1000), BENCH_CONCURRENCY (16), BENCH_ROUNDS (3), TEST_MYSQL_URL,
 * BENCH_CPU_PROFILE_DIR (a V8 CPU profile of each server process).
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { fork } from 'node:child_process';
import mysql, { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { createScratchMysqlDatabase, TestDatabase } from '../libs/persistence/test/test-databases';
import { bearer, TEST_AUTH_ENV } from '../libs/auth/test/test-keys';

const FILES = Number(process.env.BENCH_FILES ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
/** When set, each server process writes a V8 CPU profile there (open in Chrome DevTools): where a request's time goes. */
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

// The receiver is benchmarked as built (tsc, with decorator metadata), exactly as it ships.
const DIST = resolve(__dirname, '..', 'dist');
if (!existsSync(join(DIST, 'apps/receiver/src/receiver.app.js'))) {
  console.error('bench:receiver: run `npm run build` first (the script does it for you)');
  process.exit(1);
}
/* eslint-disable @typescript-eslint/no-require-imports */
const { configureReceiverApp, receiverNestOptions } = require(
  join(DIST, 'apps/receiver/src/receiver.app'),
) as typeof import('../apps/receiver/src/receiver.app');
const { ReceiverModule } = require(join(DIST, 'apps/receiver/src/receiver.module')) as typeof import('../apps/receiver/src/receiver.module');
const { QUEUE_CLIENT } = require(join(DIST, 'libs/queue/src')) as typeof import('../libs/queue/src');
const { parseConfig } = require(join(DIST, 'libs/config/src')) as typeof import('../libs/config/src');
const storage = require(join(DIST, 'libs/storage/src')) as typeof import('../libs/storage/src');
const { hashApiKey } = require(join(DIST, 'libs/auth/src/api-key')) as typeof import('../libs/auth/src/api-key');
const persistence = require(join(DIST, 'libs/persistence/src')) as typeof import('../libs/persistence/src');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Publisher stand-in for both servers: counts events, completes at once. */
class CountingQueueClient extends ClientProxy {
  published = 0;
  async connect(): Promise<void> {}
  close(): void {}
  unwrap<T>(): T {
    return this as unknown as T;
  }
  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ isDisposed: true });
    return () => undefined;
  }
  protected async dispatchEvent<T>(): Promise<T> {
    this.published += 1;
    return undefined as T;
  }
  emitEvent(): Promise<void> {
    this.published += 1;
    return Promise.resolve();
  }
}

interface Target {
  name: string;
  port: number;
  queue: CountingQueueClient;
  close(): Promise<void>;
}

/** A server running in its own child process (own heap, JIT and event loop), seen from the parent. */
interface RemoteTarget {
  name: string;
  port: number;
  /** Event-loop busy time of the server process since the last call, and its published count. */
  sample(): Promise<{ busyMs: number; published: number }>;
  close(): Promise<void>;
}

type ServerKind = 'nest' | 'bare';
type ChildMessage = { type: 'ready'; name: string; port: number } | { type: 'sample'; busyMs: number; published: number };

/** Child side: start one server, answer sample requests, stop on 'close'. */
async function serve(kind: ServerKind, root: string, databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database: TestDatabase = {
    name: 'mariadb',
    url: databaseUrl,
    config: {
      type: 'mysql',
      url: databaseUrl,
      host: url.hostname,
      port: Number(url.port || 3306),
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1),
    },
    drop: async () => undefined,
  };
  const target = kind === 'nest' ? await startNest(root, database) : await startBare(root, database);
  let last = performance.eventLoopUtilization();
  const send = (message: ChildMessage) => process.send?.(message);
  process.on('message', (message: { type: string }) => {
    if (message.type === 'sample') {
      const now = performance.eventLoopUtilization();
      send({ type: 'sample', busyMs: performance.eventLoopUtilization(now, last).active, published: target.queue.published });
      last = now;
    } else if (message.type === 'close') {
      // A message handler cannot be awaited; the child exits once the target is closed.
      void target.close().then(() => process.exit(0));
    }
  });
  send({ type: 'ready', name: target.name, port: target.port });
}

function spawnServer(kind: ServerKind, root: string, database: TestDatabase): Promise<RemoteTarget> {
  const child = fork(__filename, ['--serve', kind, root, database.url], {
    execArgv: ['--import', 'tsx', ...(CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [])],
    stdio: 'inherit',
  });
  const next = <T extends ChildMessage['type']>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((done, fail) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        done(message as Extract<ChildMessage, { type: T }>);
      };
      const onExit = (code: number | null) => fail(new Error(`${kind} server exited with ${code}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return next('ready').then((ready) => ({
    name: ready.name,
    port: ready.port,
    sample: async () => {
      const answer = next('sample');
      child.send({ type: 'sample' });
      const { busyMs, published } = await answer;
      return { busyMs, published };
    },
    close: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.send({ type: 'close' });
      }),
  }));
}

async function migratedDatabase(): Promise<TestDatabase> {
  const database = await createScratchMysqlDatabase('visage_bench');
  const { DataSource } = await import('typeorm');
  const source = new DataSource(await persistence.withServerFlavor(persistence.buildDataSourceOptions(database.config)));
  await persistence.initializeWithMigrations(source);
  await source.destroy();
  return database;
}

async function startNest(root: string, database: TestDatabase): Promise<Target> {
  const queue = new CountingQueueClient();
  // With its API-key check and submission throttle, as deployed; the limit is raised so that the load is measured,
  // not refused.
  const config = parseConfig({
    DATABASE_URL: database.url,
    IMAGES_ROOT: root,
    MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES),
    LOG_LEVEL: 'error',
    ...TEST_AUTH_ENV,
    RATE_LIMIT_SUBMIT_PER_MINUTE: String(1e9),
  });
  const moduleRef = await Test.createTestingModule({ imports: [ReceiverModule.forRoot({ config })] })
    .overrideProvider(QUEUE_CLIENT)
    .useValue(queue)
    .compile();
  const app = configureReceiverApp(moduleRef.createNestApplication(receiverNestOptions(config, { logger: ['error'] })));
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer() as Server).address() as AddressInfo;
  return { name: 'nest receiver', port: port.port, queue, close: () => app.close() };
}

/** The same contract as POST /image/post, by hand: the baseline the Nest app is compared with. */
async function startBare(root: string, database: TestDatabase): Promise<Target> {
  const queue = new CountingQueueClient();
  const pool = mysql.createPool({
    host: database.config.type === 'mysql' ? database.config.host : '',
    port: database.config.type === 'mysql' ? database.config.port : 0,
    user: 'root',
    database: database.config.type === 'mysql' ? database.config.database : '',
    connectionLimit: 10,
  });
  const send = (response: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };
  const readJson = (request: IncomingMessage) =>
    new Promise<unknown>((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 1024 * 1024) reject(Object.assign(new Error('too large'), { status: 413 }));
        else chunks.push(chunk);
      });
      request.on('end', () => {
        try {
          resolveBody(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(Object.assign(new Error('malformed JSON'), { status: 400 }));
        }
      });
    });
  // The same API-key check as the receiver's guard: the key's sha256 looked up among the active keys.
  await pool.execute("INSERT INTO api_keys (name, scope, key_hash) VALUES ('bench', 'admin', ?)", [hashApiKey(TEST_AUTH_ENV.ADMIN_API_KEY)]);
  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      if (request.method !== 'POST' || request.url !== '/image/post') return send(response, 404, { statusCode: 404 });
      const presented = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!presented) return send(response, 401, { statusCode: 401 });
      const [keys] = await pool.execute<RowDataPacket[]>('SELECT id, scope FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL', [
        hashApiKey(presented),
      ]);
      if (!keys[0]) return send(response, 401, { statusCode: 401 });
      if (keys[0].scope !== 'submit' && keys[0].scope !== 'admin') return send(response, 403, { statusCode: 403 });
      if (!/^application\/json/i.test(request.headers['content-type'] ?? '')) return send(response, 415, { statusCode: 415 });
      const body = await readJson(request);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(response, 400, { statusCode: 400 });
      let resolved;
      try {
        resolved = await storage.resolveImagePath(root, (body as { path?: unknown }).path, { maxBytes: MAX_IMAGE_BYTES });
      } catch (error) {
        if (error instanceof storage.ImagePathError) return send(response, 400, { statusCode: 400, message: error.message });
        throw error;
      }
      try {
        const [result] = await pool.execute<ResultSetHeader>("INSERT INTO images (path, status) VALUES (?, 'pending')", [resolved.relative]);
        await queue.emitEvent();
        return send(response, 202, { id: result.insertId, status: 'pending' });
      } catch (error) {
        if ((error as { code?: string }).code !== 'ER_DUP_ENTRY') throw error;
        const [rows] = await pool.execute<RowDataPacket[]>('SELECT id FROM images WHERE path = ?', [resolved.relative]);
        return send(response, 409, { statusCode: 409, id: rows[0]?.id });
      }
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      send(response, status, { statusCode: status });
    }
  };
  // answer() turns every error into a response itself (its last catch), so its promise has nothing left to report.
  const server = createServer((request, response) => void answer(request, response));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    name: 'bare node:http + mysql2',
    port: (server.address() as AddressInfo).port,
    queue,
    close: async () => {
      await new Promise((done) => server.close(done));
      await pool.end();
    },
  };
}

interface RoundResult {
  /** Time the servers' thread (this one) was busy during the round: CPU cost, unlike req/s, barely moved by other load. */
  busyMs: number;
  requests: number;
  seconds: number;
  latenciesMs: number[];
  statuses: Record<string, number>;
}

/** Loopback-only load generator in a worker thread: fixed connections, each posting the next path until none is left. */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { port, paths, concurrency, authorization } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let next = 0;
const latencies = [];
const statuses = {};
function post(path) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ path });
    const started = process.hrtime.bigint();
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/image/post', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization } }, (response) => {
      response.resume();
      response.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        statuses[response.statusCode] = (statuses[response.statusCode] || 0) + 1;
        resolve();
      });
    });
    request.on('error', () => { statuses.error = (statuses.error || 0) + 1; resolve(); });
    request.end(body);
  });
}
async function loop() { while (next < paths.length) await post(paths[next++]); }
const started = process.hrtime.bigint();
Promise.all(Array.from({ length: concurrency }, loop)).then(() => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  parentPort.postMessage({ requests: latencies.length, seconds, latenciesMs: latencies, statuses });
});
`;

async function load(target: RemoteTarget, paths: string[]): Promise<RoundResult> {
  await target.sample();
  const result = await new Promise<Omit<RoundResult, 'busyMs'>>((done, fail) => {
    const worker = new Worker(LOAD_WORKER, { eval: true, workerData: { port: target.port, paths, concurrency: CONCURRENCY, ...bearer() } });
    worker.once('message', (message: Omit<RoundResult, 'busyMs'>) => {
      // Not awaited: the result is in; the load thread ends in the background.
      void worker.terminate();
      done(message);
    });
    worker.once('error', fail);
  });
  return { ...result, busyMs: (await target.sample()).busyMs };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? NaN;
}

function summarise(rounds: RoundResult[]) {
  const latencies = rounds.flatMap((round) => round.latenciesMs).sort((a, b) => a - b);
  const requests = rounds.reduce((sum, round) => sum + round.requests, 0);
  const seconds = rounds.reduce((sum, round) => sum + round.seconds, 0);
  const busyMs = rounds.reduce((sum, round) => sum + round.busyMs, 0);
  const statuses: Record<string, number> = {};
  for (const round of rounds) for (const [status, count] of Object.entries(round.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  return {
    requests,
    rps: requests / seconds,
    busyPerRequestMs: busyMs / requests,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    statuses,
  };
}

async function main(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'visage-bench-'));
  const root = join(base, 'images');
  const databases: TestDatabase[] = [];
  const targets: RemoteTarget[] = [];
  try {
    // Distinct small files in a few directories, so every request is a new path and a real insert.
    const total = FILES + WARMUP;
    for (let dir = 0; dir < Math.ceil(total / 500); dir += 1) await mkdir(join(root, `d${dir}`), { recursive: true });
    const paths = Array.from({ length: total }, (_, index) => `d${Math.floor(index / 500)}/img-${index}.jpg`);
    await Promise.all(paths.map((path, index) => writeFile(join(root, path), `fake image ${index}`)));

    databases.push(await migratedDatabase(), await migratedDatabase());
    targets.push(await spawnServer('nest', root, databases[0]!), await spawnServer('bare', root, databases[1]!));

    const warmup = paths.slice(0, WARMUP);
    const measured = paths.slice(WARMUP);
    for (const target of targets) await load(target, warmup);

    const results = new Map<RemoteTarget, RoundResult[]>(targets.map((target) => [target, []]));
    const perRound = Math.ceil(measured.length / ROUNDS);
    for (let round = 0; round < ROUNDS; round += 1) {
      const slice = measured.slice(round * perRound, (round + 1) * perRound);
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) results.get(target)!.push(await load(target, slice));
    }

    const cpu = cpus();
    console.log(`machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}, ${process.platform}/${process.arch}`);
    console.log(
      `workload: POST /image/post, ${measured.length} distinct files per server (+${WARMUP} warm-up), ${CONCURRENCY} connections, ${ROUNDS} alternating rounds, MariaDB scratch databases`,
    );
    const published = await Promise.all(targets.map(async (target) => (await target.sample()).published));
    const summaries = targets.map((target, index) => ({ target, published: published[index], ...summarise(results.get(target)!) }));
    for (const summary of summaries) {
      console.log(
        `${summary.target.name.padEnd(26)} ${summary.rps.toFixed(0).padStart(6)} req/s   p50 ${summary.p50.toFixed(2)} ms   p99 ${summary.p99.toFixed(2)} ms   ` +
          `server thread busy ${summary.busyPerRequestMs.toFixed(3)} ms/request   ` +
          `responses ${JSON.stringify(summary.statuses)}   published ${summary.published}`,
      );
    }
    // A server that refused the load measured nothing: no figures then.
    const unexpected = summaries.filter((summary) => Object.keys(summary.statuses).some((status) => status !== '202'));
    if (unexpected.length)
      throw new Error(
        `non-202 responses from ${unexpected.map((summary) => `${summary.target.name} ${JSON.stringify(summary.statuses)}`).join(', ')}`,
      );
    const [nest, bare] = summaries;
    const ratio = nest!.rps / bare!.rps;
    console.log(`ratio nest/bare: ${ratio.toFixed(2)} (target >= 0.70) ${ratio >= 0.7 ? 'MET' : 'NOT MET'}`);
    console.log(`cost ratio (bare busy / nest busy per request): ${(bare!.busyPerRequestMs / nest!.busyPerRequestMs).toFixed(2)}`);
    console.log(
      `load average during the run: ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')} (other processes share these cores)`,
    );
  } finally {
    for (const target of targets) await target.close();
    for (const database of databases) await database.drop();
    await rm(base, { recursive: true, force: true });
  }
}

const entry =
  process.argv[2] === '--serve' ? serve(process.argv[3] as ServerKind, process.argv[4]!, process.argv[5]!) : main().then(() => process.exit(0));
entry.then(
  () => undefined,
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

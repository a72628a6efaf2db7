/**
 * Face-recognition throughput, latency and memory: the service as built (dist/, spawned as its own process,
 * called through gRPC by a concurrent client) against the naive baseline (one thread, face-api node-wasm called
 * directly as in face-api's demo/node-wasm.js), in the same run, on the same images.
 *
 * Run: npm run bench:recognizer   (builds first). Env: BENCH_REQUESTS (2000), BENCH_CONCURRENCY (2 × workers),
 * BENCH_BASELINE_PASSES (1), RECOGNIZER_WORKERS (0 = one per core).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { GrpcFaceAnalyzer } from '../libs/recognizer-client/src/grpc-face-analyzer';
import { loadFaceModels, loadFaceRuntime } from '../apps/face-recognition/src/engine/runtime';
import { Tensor3D } from '../apps/face-recognition/src/engine/face-api.types';
import { FACES_DIR, noLabelledFacesReason } from '../test/support/faces';
import { machineLine, percentile } from './machine';

const ROOT = resolve(__dirname, '..');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const BASELINE_PASSES = Number(process.env.BENCH_BASELINE_PASSES ?? 1);
const WORKERS = Number(process.env.RECOGNIZER_WORKERS ?? 0) || availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? WORKERS * 2);
const MIN_SCORE = 0.5;
const MiB = 1024 * 1024;

/** Every decodable image of the shared faces (bad/ files that are refused by design are left out) + face-api's demo photos. */
function benchImages(): string[] {
  const images: string[] = [];
  for (const folder of ['known', 'unknown', 'groups', 'strangers', 'nonfaces']) {
    for (const file of readdirSync(join(FACES_DIR, folder)).sort()) images.push(join(FACES_DIR, folder, file));
  }
  for (const file of ['cmyk.jpg', 'exif_rotated.jpg', 'grayscale.jpg', 'png_named.jpg', 'rgba_32bit.png']) images.push(join(FACES_DIR, 'bad', file));
  const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
  if (existsSync(demo)) for (const file of readdirSync(demo).filter((name) => name.endsWith('.jpg')).sort()) images.push(join(demo, file));
  return images;
}

function summary(label: string, times: number[], wallMs: number, count: number): { imagesPerSecond: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const imagesPerSecond = count / (wallMs / 1000);
  console.log(
    `${label}: ${count} images in ${(wallMs / 1000).toFixed(1)} s → ${imagesPerSecond.toFixed(2)} images/s; ms/image p50 ${percentile(sorted, 0.5).toFixed(0)}, p95 ${percentile(sorted, 0.95).toFixed(0)}`,
  );
  return { imagesPerSecond };
}

/** face-api's demo/node-wasm.js, minus expression/age nets (the service does not run them) and with sharp standing in for @canvas/image. */
async function runBaseline(images: string[]): Promise<{ imagesPerSecond: number; faces: number }> {
  const { faceapi, tf } = await loadFaceRuntime('wasm');
  await loadFaceModels(faceapi);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_SCORE });
  const readImage = async (file: string): Promise<Tensor3D> => {
    const { data, info } = await sharp(readFileSync(file)).rotate().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return tf.tidy(() => {
      const rgba = tf.tensor(Array.from(data), [info.height, info.width, 4], 'int32');
      const channels = tf.split(rgba, 4, 2);
      return tf.squeeze(tf.stack([channels[0], channels[1], channels[2]], 2)) as Tensor3D;
    });
  };
  // Warm-up: the first inference compiles kernels; the service warms up before SERVING too.
  const warm = await readImage(images[0]);
  await faceapi.detectAllFaces(warm, options).withFaceLandmarks().withFaceDescriptors();
  warm.dispose();
  const times: number[] = [];
  let faces = 0;
  const started = performance.now();
  for (let pass = 0; pass < BASELINE_PASSES; pass++) {
    for (const file of images) {
      const t0 = performance.now();
      const tensor = await readImage(file);
      const result = await faceapi.detectAllFaces(tensor, options).withFaceLandmarks().withFaceDescriptors();
      tf.dispose(tensor);
      times.push(performance.now() - t0);
      faces += result.length;
    }
  }
  const { imagesPerSecond } = summary('baseline (1 thread, face-api node-wasm as in its demo)', times, performance.now() - started, times.length);
  return { imagesPerSecond, faces: faces / BASELINE_PASSES };
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

/** VmRSS and VmHWM (peak) of a process, in bytes. */
function processMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function startService(): Promise<{ child: ChildProcess; client: GrpcFaceAnalyzer }> {
  const main = join(ROOT, 'dist/apps/face-recognition/src/main.js');
  if (!existsSync(main)) throw new Error(`${main} missing: run npm run build (npm run bench:recognizer does)`);
  const grpcPort = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: {
      ...process.env,
      // Root "/" so the bench can name the demo photos inside node_modules by absolute path.
      IMAGES_ROOT: '/',
      FACE_RECOGNITION_PORT: String(grpcPort),
      FACE_RECOGNITION_HEALTH_PORT: String(await freePort()),
      RECOGNIZER_WORKERS: String(WORKERS),
      RECOGNIZER_QUEUE_SIZE: String(Math.max(64, CONCURRENCY)),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${grpcPort}`, deadlineMs: 300_000 });
  const deadline = Date.now() + 300_000;
  while (!(await client.isServing())) {
    if (child.exitCode !== null) throw new Error(`service exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('service not SERVING after 300 s');
    await new Promise((done) => setTimeout(done, 250));
  }
  return { child, client };
}

async function runService(images: string[]): Promise<{ imagesPerSecond: number }> {
  const loadStarted = performance.now();
  const { child, client } = await startService();
  const pid = child.pid as number;
  console.log(`service: ${WORKERS} worker(s), SERVING after ${((performance.now() - loadStarted) / 1000).toFixed(1)} s, RSS ${(processMemory(pid).rss / MiB).toFixed(0)} MiB; ${REQUESTS} requests, ${CONCURRENCY} in flight`);
  const times: number[] = [];
  const rssAt = new Map<number, number>();
  let next = 0;
  let done = 0;
  let peak = 0;
  const started = performance.now();
  const workerLoop = async () => {
    for (let index = next++; index < REQUESTS; index = next++) {
      const t0 = performance.now();
      await client.analyze(images[index % images.length]);
      times.push(performance.now() - t0);
      done += 1;
      if (done % 50 === 0 || done === 500 || done === REQUESTS) {
        const memory = processMemory(pid);
        peak = Math.max(peak, memory.peak);
        if (done === 500 || done === REQUESTS) rssAt.set(done, memory.rss);
        if (done % 250 === 0) process.stdout.write(`  ${done}/${REQUESTS} requests, RSS ${(memory.rss / MiB).toFixed(0)} MiB\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, workerLoop));
  const wall = performance.now() - started;
  const result = summary(`service (gRPC, ${WORKERS} workers, ${CONCURRENCY} in flight)`, times, wall, times.length);
  const memory = processMemory(pid);
  peak = Math.max(peak, memory.peak);
  console.log(`service memory: peak RSS ${(peak / MiB).toFixed(0)} MiB for the process = ${(peak / MiB / WORKERS).toFixed(0)} MiB per worker (target ≤ 600)`);
  const at500 = rssAt.get(500);
  const atEnd = rssAt.get(REQUESTS);
  if (at500 && atEnd) {
    const drift = ((atEnd - at500) / at500) * 100;
    console.log(`service RSS at request 500: ${(at500 / MiB).toFixed(0)} MiB, at request ${REQUESTS}: ${(atEnd / MiB).toFixed(0)} MiB → ${drift >= 0 ? '+' : ''}${drift.toFixed(1)}% (target within ±5%)`);
  }
  client.close();
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  return result;
}

async function main(): Promise<void> {
  const skipReason = noLabelledFacesReason('bench:recognizer (it runs on the labelled faces)');
  if (skipReason) {
    console.log(skipReason);
    return;
  }
  console.log(machineLine());
  const images = benchImages();
  console.log(`images: ${images.length} (shared faces + face-api demo photos)`);
  const baseline = await runBaseline(images);
  const service = await runService(images);
  console.log(`ratio: service ${service.imagesPerSecond.toFixed(2)} / baseline ${baseline.imagesPerSecond.toFixed(2)} images/s = ${(service.imagesPerSecond / baseline.imagesPerSecond).toFixed(2)}× (target ≥ 3×)`);
  console.log(machineLine());
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});

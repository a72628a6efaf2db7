/**
 * Face-recognition throughput, latency and memory: the service as built (dist/, spawned as its own process,
 * called through gRPC by a concurrent client) with each engine (FACE_ENGINE), against the strict baseline (one
 * thread, face-api node-wasm called directly with typed-array input), in the same run, on the same images.
 *
 * Run: npm run bench:recognizer   (builds first). Env: BENCH_ENGINES (onnx,wasm), BENCH_REQUESTS (2000),
 * BENCH_CONCURRENCY (2 × workers), BENCH_LATENCY_REQUESTS (300, at 2 in flight), BENCH_BASELINE_PASSES (1; 0 = no
 * baseline, the service alone), RECOGNIZER_WORKERS (0 = one per core), FACE_ENGINE_THREADS (1).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_DESCRIPTOR_RECIPE } from '@visage/domain';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { loadFaceModels, loadFaceRuntime } from '../apps/face-recognition/src/engine/runtime';
import { Tensor3D } from '../apps/face-recognition/src/engine/face-api.types';
import { FACES_DIR, noLabelledFacesReason } from '../test/support/faces';
import { WORKER_MALLOC_ENV } from '../deploy/apps';
import { machineLine, percentile } from './machine';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_ENV } from '../libs/recognizer-client/test/test-token';
import { sleep } from '../test/support/until';

const ROOT = resolve(__dirname, '..');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const BASELINE_PASSES = Number(process.env.BENCH_BASELINE_PASSES ?? 1);
const WORKERS = Number(process.env.RECOGNIZER_WORKERS ?? 0) || availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? WORKERS * 2);
const LATENCY_REQUESTS = Number(process.env.BENCH_LATENCY_REQUESTS ?? 300);
const ENGINES = (process.env.BENCH_ENGINES ?? 'onnx,wasm')
  .split(',')
  .map((engine) => engine.trim())
  .filter(Boolean);
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
  if (existsSync(demo))
    for (const file of readdirSync(demo)
      .filter((name) => name.endsWith('.jpg'))
      .sort())
      images.push(join(demo, file));
  return images;
}

function summary(label: string, times: number[], wallMs: number, count: number): { imagesPerSecond: number; p95: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const imagesPerSecond = count / (wallMs / 1000);
  const p95 = percentile(sorted, 0.95);
  console.log(
    `${label}: ${count} images in ${(wallMs / 1000).toFixed(1)} s → ${imagesPerSecond.toFixed(2)} images/s; ms/image p50 ${percentile(sorted, 0.5).toFixed(0)}, p95 ${p95.toFixed(0)}`,
  );
  return { imagesPerSecond, p95 };
}

/**
 * The strict baseline: face-api's own pipeline on WASM, one thread, fed a typed array (no `Array.from` of the
 * pixels as face-api's demo/node-wasm.js does), without the expression/age nets the service does not run.
 */
async function runBaseline(images: string[]): Promise<{ imagesPerSecond: number; cpuMsPerImage: number; faces: number }> {
  const { faceapi, tf } = await loadFaceRuntime('wasm');
  await loadFaceModels(faceapi);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_SCORE });
  const readImage = async (file: string): Promise<Tensor3D> => {
    const { data, info } = await sharp(readFileSync(file))
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return tf.tensor3d(new Int32Array(data), [info.height, info.width, 3], 'int32');
  };
  // Warm-up: the first inference compiles kernels; the service warms up before SERVING too.
  const warm = await readImage(images[0]);
  await faceapi.detectAllFaces(warm, options).withFaceLandmarks().withFaceDescriptors();
  warm.dispose();
  const times: number[] = [];
  let faces = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
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
  const { imagesPerSecond } = summary(
    'strict baseline (1 thread, face-api node-wasm, typed-array input)',
    times,
    performance.now() - started,
    times.length,
  );
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerImage = (cpu.user + cpu.system) / 1000 / times.length;
  console.log(`strict baseline CPU: ${cpuMsPerImage.toFixed(0)} ms of CPU per image`);
  return { imagesPerSecond, cpuMsPerImage, faces: faces / BASELINE_PASSES };
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

/** CPU seconds (user + system) a process has used: /proc/<pid>/stat fields 14 and 15, in USER_HZ (100) ticks. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startService(engine: string): Promise<{ child: ChildProcess; client: GrpcFaceAnalyzer }> {
  const main = join(ROOT, 'dist/apps/face-recognition/src/main.js');
  if (!existsSync(main)) throw new Error(`${main} missing: run npm run build (npm run bench:recognizer does)`);
  const grpcPort = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: {
      ...process.env,
      // As the recognizer's container runs it (Dockerfile): without these glibc settings RSS creeps up.
      ...WORKER_MALLOC_ENV,
      // Root "/" so the bench can name the demo photos inside node_modules by absolute path.
      IMAGES_ROOT: '/',
      FACE_ENGINE: engine,
      FACE_DESCRIPTOR_RECIPE: recipeFor(engine),
      FACE_RECOGNITION_PORT: String(grpcPort),
      FACE_RECOGNITION_HEALTH_PORT: String(await freePort()),
      RECOGNIZER_WORKERS: String(WORKERS),
      RECOGNIZER_QUEUE_SIZE: String(Math.max(64, CONCURRENCY)),
      LOG_LEVEL: 'warn',
      ...TEST_RECOGNIZER_ENV,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${grpcPort}`, deadlineMs: 300_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
  const deadline = Date.now() + 300_000;
  while (!(await client.isServing())) {
    if (child.exitCode !== null) throw new Error(`service exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('service not SERVING after 300 s');
    await sleep(250);
  }
  return { child, client };
}

/** `count` requests, `inFlight` at a time, cycling through the images; RSS sampled every 50 answers. */
async function drive(
  client: GrpcFaceAnalyzer,
  pid: number,
  images: string[],
  count: number,
  inFlight: number,
  onProgress?: (done: number, rss: number) => void,
) {
  const times: number[] = [];
  let next = 0;
  let done = 0;
  let peak = 0;
  const started = performance.now();
  const cpuBefore = processCpuSeconds(pid);
  const loop = async () => {
    for (let index = next++; index < count; index = next++) {
      const t0 = performance.now();
      await client.analyze(images[index % images.length]);
      times.push(performance.now() - t0);
      done += 1;
      if (done % 50 === 0 || done === count) {
        const memory = processMemory(pid);
        peak = Math.max(peak, memory.peak);
        onProgress?.(done, memory.rss);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return { times, wall: performance.now() - started, peak, cpuSeconds: processCpuSeconds(pid) - cpuBefore };
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/**
 * Is memory flat from request 500 to the end? A single RSS sample swings with the images in flight (decoded images and
 * network inputs are mmapped and returned on free), so the comparison is between medians of the samples
 * (every 50 answers) within 250 requests of request 500 and over the last 500 requests, plus the least-squares
 * slope of every sample from request 500 on: a leak shows as a steady slope, not as one high sample.
 */
function rssDrift(samples: Array<{ done: number; rss: number }>) {
  const at500 = samples.find((sample) => sample.done === 500)?.rss;
  const last = samples[samples.length - 1];
  if (at500 === undefined || !last || last.done < 1_000) return undefined;
  const medianAt500 = median(samples.filter((sample) => Math.abs(sample.done - 500) <= 250).map((sample) => sample.rss));
  const medianAtEnd = median(samples.filter((sample) => sample.done > last.done - 500).map((sample) => sample.rss));
  const trend = samples.filter((sample) => sample.done >= 500);
  const meanDone = trend.reduce((sum, sample) => sum + sample.done, 0) / trend.length;
  const meanRss = trend.reduce((sum, sample) => sum + sample.rss, 0) / trend.length;
  const covariance = trend.reduce((sum, sample) => sum + (sample.done - meanDone) * (sample.rss - meanRss), 0);
  const variance = trend.reduce((sum, sample) => sum + (sample.done - meanDone) ** 2, 0);
  return {
    at500,
    atEnd: last.rss,
    medianAt500,
    medianAtEnd,
    percent: ((medianAtEnd - medianAt500) / medianAt500) * 100,
    mibPerThousand: ((covariance / variance) * 1_000) / MiB,
  };
}

interface EngineFigures {
  engine: string;
  imagesPerSecond: number;
  p95AtTwo: number;
  peakPerWorker: number;
  cpuMsPerImage: number;
  drift?: number;
}

/**
 * FACE_DESCRIPTOR_RECIPE when set; else the default on ONNX Runtime and `chip-flip` on TensorFlow.js, which cannot
 * run the default (`mobilefacenet`, an ONNX model).
 */
function recipeFor(engine: string): string {
  return process.env.FACE_DESCRIPTOR_RECIPE ?? (engine === 'onnx' ? DEFAULT_DESCRIPTOR_RECIPE : 'chip-flip');
}

async function runService(engine: string, images: string[]): Promise<EngineFigures> {
  const loadStarted = performance.now();
  const { child, client } = await startService(engine);
  const pid = child.pid as number;
  const threads = process.env.FACE_ENGINE_THREADS ?? '1';
  console.log(
    `\n[${engine}] service (recipe ${recipeFor(engine)}): ${WORKERS} worker(s)${engine === 'onnx' ? ` × ${threads} ORT thread(s)` : ''}, SERVING after ${((performance.now() - loadStarted) / 1000).toFixed(1)} s, RSS ${(processMemory(pid).rss / MiB).toFixed(0)} MiB`,
  );
  const latency = await drive(client, pid, images, LATENCY_REQUESTS, 2);
  const { p95: p95AtTwo } = summary(`[${engine}] latency (2 in flight)`, latency.times, latency.wall, latency.times.length);
  const rssSamples: Array<{ done: number; rss: number }> = [];
  const throughput = await drive(client, pid, images, REQUESTS, CONCURRENCY, (done, rss) => {
    rssSamples.push({ done, rss });
    if (done % 500 === 0) process.stdout.write(`  ${done}/${REQUESTS} requests, RSS ${(rss / MiB).toFixed(0)} MiB\n`);
  });
  const { imagesPerSecond } = summary(
    `[${engine}] throughput (${CONCURRENCY} in flight)`,
    throughput.times,
    throughput.wall,
    throughput.times.length,
  );
  // On a shared machine wall-clock rates fall with the neighbours' load; CPU time per image much less so.
  const cpuMsPerImage = (throughput.cpuSeconds * 1000) / throughput.times.length;
  console.log(
    `[${engine}] CPU: ${cpuMsPerImage.toFixed(0)} ms of CPU per image (service process) → ${((availableParallelism() * 1000) / cpuMsPerImage).toFixed(1)} images/s if the ${availableParallelism()} cores were ours alone (derived, not measured)`,
  );
  const peak = Math.max(latency.peak, throughput.peak, processMemory(pid).peak);
  const peakPerWorker = peak / MiB / WORKERS;
  console.log(
    `[${engine}] memory: peak RSS ${(peak / MiB).toFixed(0)} MiB for the process = ${peakPerWorker.toFixed(0)} MiB per worker (target ≤ 600)`,
  );
  const drift = rssDrift(rssSamples);
  if (drift) {
    console.log(
      `[${engine}] RSS at request 500: ${(drift.at500 / MiB).toFixed(0)} MiB, at request ${REQUESTS}: ${(drift.atEnd / MiB).toFixed(0)} MiB (single samples); ` +
        `median of the samples around request 500: ${(drift.medianAt500 / MiB).toFixed(0)} MiB, over the last 500 requests: ${(drift.medianAtEnd / MiB).toFixed(0)} MiB → ` +
        `${drift.percent >= 0 ? '+' : ''}${drift.percent.toFixed(1)}% (target: flat, within ±5%); trend from request 500 on: ${drift.mibPerThousand >= 0 ? '+' : ''}${drift.mibPerThousand.toFixed(1)} MiB per 1,000 requests`,
    );
  }
  client.close();
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  return { engine, imagesPerSecond, p95AtTwo, peakPerWorker, cpuMsPerImage, drift: drift?.percent };
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
  // No passes: no baseline to compare with (a smoke run of the service alone), rather than ratios of 0 images.
  const baseline = BASELINE_PASSES > 0 ? await runBaseline(images) : undefined;
  const results: EngineFigures[] = [];
  for (const engine of ENGINES) results.push(await runService(engine, images));
  console.log('\nsummary (targets: ≥ 25 images/s on 2 cores ≈ 7× the strict baseline; p95 ≤ 250 ms at 2 in flight; ≤ 600 MiB/worker, flat)');
  if (baseline) console.log(`  strict baseline: ${baseline.imagesPerSecond.toFixed(2)} images/s, ${baseline.cpuMsPerImage.toFixed(0)} ms CPU/image`);
  else console.log('  strict baseline: not run (BENCH_BASELINE_PASSES=0)');
  for (const result of results) {
    const versusBaseline = baseline
      ? ` = ${(result.imagesPerSecond / baseline.imagesPerSecond).toFixed(2)}× baseline; ${result.cpuMsPerImage.toFixed(0)} ms CPU/image (${(baseline.cpuMsPerImage / result.cpuMsPerImage).toFixed(2)}× less)`
      : `; ${result.cpuMsPerImage.toFixed(0)} ms CPU/image`;
    console.log(
      `  ${result.engine}: ${result.imagesPerSecond.toFixed(2)} images/s${versusBaseline}; p95 ${result.p95AtTwo.toFixed(0)} ms at 2 in flight; peak ${result.peakPerWorker.toFixed(0)} MiB/worker; RSS 500→${REQUESTS}: ${result.drift === undefined ? 'n/a' : `${result.drift >= 0 ? '+' : ''}${result.drift.toFixed(1)}%`}`,
    );
  }
  console.log(machineLine());
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});

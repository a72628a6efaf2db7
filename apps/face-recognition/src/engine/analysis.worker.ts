import { readFile } from 'node:fs/promises';
import { describeError } from '@visage/domain';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { createEngine, RecognitionEngine, StageTimings } from './engine';
import { decodeImage, ImageDecodeError } from './image-decoder';
import { FromWorker, ImageSource, ToWorker, WorkerFailure, WorkerSettings } from './protocol';

// One libvips thread per worker: the pool already runs one worker per core, more threads only contend.
sharp.concurrency(1);
// Every image is decoded once: libvips' operation cache would only hold memory.
sharp.cache(false);

const settings = workerData as WorkerSettings;
let analysed = 0;

function post(message: FromWorker): void {
  parentPort?.postMessage(message);
}

async function readSource(source: ImageSource): Promise<Buffer> {
  if ('content' in source) return Buffer.from(source.content.buffer, source.content.byteOffset, source.content.byteLength);
  return readFile(source.path);
}

function toFailure(error: unknown): WorkerFailure {
  if (error instanceof ImageDecodeError) return { kind: 'invalid_image', reason: error.code, message: error.message };
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { kind: 'not_found', message: 'no file at this path (removed while queued)' };
  return { kind: 'internal', message: describeError(error) };
}

async function main(): Promise<void> {
  let engine: RecognitionEngine;
  let fallbackReason: string | undefined;
  try {
    ({ engine, fallbackReason } = await createEngine({
      engine: settings.engine,
      threads: settings.engineThreads,
      minScore: settings.minScore,
      recipe: settings.recipe,
    }));
  } catch (error) {
    post({ type: 'init_failed', message: describeError(error) });
    return;
  }
  post({ type: 'ready', engine: engine.name, faceApiVersion: engine.faceApiVersion, fallbackReason });

  // Messages are handled one at a time: the pool never sends a second analysis before the first answer.
  let inHand: Promise<void> = Promise.resolve();
  parentPort?.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      void inHand
        .then(() => engine.dispose())
        .catch(() => undefined)
        .finally(() => process.exit(0)); // in a worker thread: ends this thread only
      return;
    }
    if (message.type === 'stats') {
      const usage = process.memoryUsage();
      post({
        type: 'stats',
        id: message.id,
        stats: {
          ...engine.memory(),
          heapUsed: usage.heapUsed,
          rss: usage.rss,
          analysed,
        },
      });
      return;
    }
    inHand = (async () => {
      const started = performance.now();
      try {
        const decoded = await decodeImage(await readSource(message.source), { maxPixels: settings.maxPixels });
        const stageMs: StageTimings = { decode: performance.now() - started };
        const result = await engine.analyze(decoded, message.includeLandmarks, stageMs);
        analysed += 1;
        post({ type: 'analysis', id: message.id, ok: true, result, elapsedMs: performance.now() - started, stageMs });
      } catch (error) {
        post({ type: 'analysis', id: message.id, ok: false, failure: toFailure(error) });
      }
    })();
  });
}

// The thread's entry point: main posts its own start failure (init_failed); nothing awaits a worker's top level.
void main();

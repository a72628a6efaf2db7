import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { FaceEngine, StageTimings } from './face-engine';
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
  if (error instanceof ImageDecodeError) return { kind: 'invalid_image', reason: error.reason, message: error.message };
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { kind: 'not_found', message: 'no file at this path (removed while queued)' };
  return { kind: 'internal', message: error instanceof Error ? error.message : String(error) };
}

function wasmHeapBytes(engine: FaceEngine): number {
  const backend = engine.tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.byteLength ?? 0;
}

async function main(): Promise<void> {
  let engine: FaceEngine;
  try {
    engine = await FaceEngine.create({ backend: settings.backend, minScore: settings.minScore });
  } catch (error) {
    post({ type: 'init_failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  post({ type: 'ready', backend: engine.backend, faceApiVersion: engine.faceApiVersion });

  // Messages are handled one at a time: the pool never sends a second analysis before the first answer.
  parentPort?.on('message', (message: ToWorker) => {
    if (message.type === 'stats') {
      const memory = engine.tf.memory();
      const usage = process.memoryUsage();
      post({
        type: 'stats',
        id: message.id,
        stats: {
          numTensors: memory.numTensors,
          numBytes: memory.numBytes,
          wasmHeapBytes: wasmHeapBytes(engine),
          heapUsed: usage.heapUsed,
          rss: usage.rss,
          analysed,
        },
      });
      return;
    }
    void (async () => {
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

void main();

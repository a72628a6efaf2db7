import { parentPort } from 'node:worker_threads';
import { describeError, MatchRule } from '@visage/domain';
import { Gallery } from './gallery';
import { GemmMatcher, matchEach, MatchColumns } from './gemm-matcher';
import { FromMatchWorker, MatchEngine, ToMatchWorker } from './match.protocol';

/**
 * One thread of the {@link MatchPool}: holds a copy of the gallery and, when ONNX Runtime loads, a
 * {@link GemmMatcher} over it; matches the descriptors it is sent, with the scalar kernel when ORT is unavailable.
 */
interface Held {
  version: number;
  gallery: Gallery;
  gemm?: GemmMatcher;
  engine: MatchEngine;
}

let held: Held = { version: -1, gallery: new Gallery([]), engine: { kind: 'scalar', reason: 'no gallery yet' } };
/** Messages are handled one after another: a match never meets a session being replaced. */
let queue: Promise<void> = Promise.resolve();

function reply(message: FromMatchWorker, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

async function hold(version: number, gallery: Gallery): Promise<void> {
  await held.gemm?.release();
  try {
    held = { version, gallery, gemm: await GemmMatcher.create(gallery), engine: { kind: 'gemm' } };
  } catch (error) {
    held = { version, gallery, engine: { kind: 'scalar', reason: describeError(error) } };
  }
}

/** The batched kernel while it works; a run that fails gives it up for the scalar one, with the reason. */
async function matchHeld(descriptors: Float32Array, rule: MatchRule): Promise<MatchColumns> {
  if (held.gemm) {
    try {
      return await held.gemm.matchAll(descriptors, rule);
    } catch (error) {
      // Not awaited: this call goes on with the scalar matcher while the broken session is released.
      void held.gemm.release().catch(() => undefined);
      held = {
        version: held.version,
        gallery: held.gallery,
        engine: { kind: 'scalar', reason: `an ONNX Runtime run failed: ${describeError(error)}` },
      };
    }
  }
  return matchEach(held.gallery, descriptors, rule);
}

async function handle(message: ToMatchWorker): Promise<void> {
  if (message.kind === 'close') {
    await held.gemm?.release().catch(() => undefined);
    process.exit(0); // in a worker thread: ends this thread only, after the native session is gone
  }
  if (message.kind === 'gallery') return hold(message.version, new Gallery(message.gallery));
  if (message.version !== held.version) {
    reply({ kind: 'failed', id: message.id, message: `worker holds gallery version ${held.version}, asked for ${message.version}` });
    return;
  }
  try {
    const { personIds, distances, matched } = await matchHeld(message.descriptors, message.rule);
    reply({ kind: 'matched', id: message.id, personIds, distances, matched, engine: held.engine }, [
      personIds.buffer,
      distances.buffer,
      matched.buffer,
    ]);
  } catch (error) {
    reply({ kind: 'failed', id: message.id, message: describeError(error) });
  }
}

parentPort?.on('message', (message: ToMatchWorker) => {
  queue = queue.then(() => handle(message));
});

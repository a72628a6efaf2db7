import { Worker } from 'node:worker_threads';

const STOP_TIMEOUT_MS = 5_000;

/**
 * Stops a worker thread that holds native resources (ONNX Runtime sessions): `requestStop` asks it to release them
 * and exit by itself; only if it has not exited within `timeoutMs` is it terminated. `Worker.terminate()` on a
 * thread that still holds a native session can abort the whole process ("terminate called after throwing an
 * instance of 'Napi::Error'").
 */
export async function stopWorker(worker: Worker, requestStop: () => void, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  const exited = new Promise<'exited'>((resolve) => worker.once('exit', () => resolve('exited')));
  try {
    requestStop();
  } catch {
    // Already gone: nothing to wait for but its exit.
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') await worker.terminate();
}

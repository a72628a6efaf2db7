import { parentPort } from 'node:worker_threads';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { Gallery } from './gallery';
import { FromMatchWorker, ToMatchWorker } from './match.protocol';

/** One thread of the {@link MatchPool}: holds a copy of the gallery, matches the descriptors it is sent. */
let gallery = new Gallery([]);
let version = -1;

function reply(message: FromMatchWorker, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

parentPort?.on('message', (message: ToMatchWorker) => {
  if (message.kind === 'gallery') {
    gallery = new Gallery(message.gallery);
    version = message.version;
    return;
  }
  if (message.version !== version) {
    reply({ kind: 'failed', id: message.id, message: `worker holds gallery version ${version}, asked for ${message.version}` });
    return;
  }
  const count = message.descriptors.length / DESCRIPTOR_LENGTH;
  const personIds = new Int32Array(count);
  const distances = new Float64Array(count);
  const matched = new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    const match = gallery.match(message.descriptors.subarray(index * DESCRIPTOR_LENGTH, (index + 1) * DESCRIPTOR_LENGTH), message.threshold);
    personIds[index] = match?.personId ?? 0;
    distances[index] = match?.distance ?? NaN;
    matched[index] = match?.matched ? 1 : 0;
  }
  reply({ kind: 'matched', id: message.id, personIds, distances, matched }, [personIds.buffer, distances.buffer, matched.buffer]);
});

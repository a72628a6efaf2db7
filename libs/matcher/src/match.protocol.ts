import { PackedGallery } from './gallery';

/** Main thread → match worker. */
export type ToMatchWorker =
  | { kind: 'gallery'; version: number; gallery: PackedGallery }
  | { kind: 'match'; id: number; version: number; threshold: number; descriptors: Float32Array };

/** Match worker → main thread: per descriptor, the nearest person (0: empty gallery), distance, within threshold. */
export type FromMatchWorker =
  | { kind: 'matched'; id: number; personIds: Int32Array; distances: Float64Array; matched: Uint8Array }
  | { kind: 'failed'; id: number; message: string };

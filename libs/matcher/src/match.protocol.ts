import { MatchRule } from '@visage/domain';
import { PackedGallery } from './gallery';

/** Main thread → match worker. */
export type ToMatchWorker =
  | { kind: 'gallery'; version: number; gallery: PackedGallery }
  | { kind: 'match'; id: number; version: number; rule: MatchRule; descriptors: Float32Array }
  /** Release the ONNX Runtime session, then end the thread (see MatchPool.close). */
  | { kind: 'close' };

/**
 * How a worker matched: the batched ONNX Runtime kernel, or the scalar one with the reason (ORT could not load,
 * an empty gallery…).
 */
export type MatchEngine = { kind: 'gemm' } | { kind: 'scalar'; reason: string };

/** Match worker → main thread: per descriptor, the nearest person (0: empty gallery), distance, named by the rule. */
export type FromMatchWorker =
  | { kind: 'matched'; id: number; personIds: Int32Array; distances: Float64Array; matched: Uint8Array; engine: MatchEngine }
  | { kind: 'failed'; id: number; message: string };

import type * as Ort from 'onnxruntime-node';
import { DESCRIPTOR_LENGTH, MatchRule } from '@visage/domain';
import { loadOnnxRuntime, ORT_LOG_SEVERITY_FATAL } from '@visage/onnx-graph';
import { Gallery, GalleryMatch } from './gallery';
import { NEAREST_ROWS_INPUT, NEAREST_ROWS_OUTPUT, NEAREST_SCORES_OUTPUT, nearestRowsModel } from './nearest-rows.model';

/** Per face, in order: the nearest person (0: empty gallery), the distance (NaN: none), named by the rule (1). */
export interface MatchColumns {
  personIds: Int32Array<ArrayBuffer>;
  distances: Float64Array<ArrayBuffer>;
  matched: Uint8Array<ArrayBuffer>;
}

/**
 * Rows of the approximate scores kept per face: enough to hold the nearest two persons when the nearest has a few
 * enrolments close together, and near-ties and duplicate rows.
 */
const CANDIDATES = 8;
/**
 * Scores ONNX Runtime holds between the Gemm and the TopK (16 MiB of float32): bounds the faces per run, so memory
 * stays flat whatever the batch (10,000 rows: 419 faces a run).
 */
const SCORES_PER_RUN = 2 ** 22;
/**
 * A float32 dot product of 128 terms errs by at most γ₁₂₈ ≈ 128·2⁻²⁴ ≈ 7.7·10⁻⁶ of Σ|qᵢgᵢ| ≤ ‖q‖‖g‖, in whatever
 * order MLAS sums it; doubled, plus the float32 roundings of ‖g‖² and of the sum (2⁻²⁴ of at most (‖q‖+‖g‖)²
 * each), a score is within this fraction of (‖q‖+‖g‖)² of the exact ‖q−g‖² − ‖q‖².
 */
const SCORE_ERROR = 1e-5;

export function emptyMatchColumns(count: number): MatchColumns {
  return { personIds: new Int32Array(count), distances: new Float64Array(count), matched: new Uint8Array(count) };
}

export function setMatch(columns: MatchColumns, index: number, match: GalleryMatch | undefined): void {
  columns.personIds[index] = match?.personId ?? 0;
  columns.distances[index] = match?.distance ?? NaN;
  columns.matched[index] = match?.matched ? 1 : 0;
}

/** Faces one by one with {@link Gallery.match}: the scalar path, and the reference the batched one must equal. */
export function matchEach(gallery: Gallery, descriptors: Float32Array, rule: MatchRule): MatchColumns {
  const count = descriptors.length / DESCRIPTOR_LENGTH;
  const columns = emptyMatchColumns(count);
  for (let index = 0; index < count; index++) {
    setMatch(columns, index, gallery.match(descriptors.subarray(index * DESCRIPTOR_LENGTH, (index + 1) * DESCRIPTOR_LENGTH), rule));
  }
  return columns;
}

/** ‖v‖, or NaN when a value is not finite. */
function norm(values: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let index = from; index < to; index++) {
    if (!Number.isFinite(values[index])) return NaN;
    sum += values[index] * values[index];
  }
  return Math.sqrt(sum);
}

/**
 * Many faces against the whole gallery as one matrix product on ONNX Runtime (MLAS sgemm, ~20× the scalar
 * kernel): ‖q−g‖² − ‖q‖² = ‖g‖² − 2·q·gᵀ for a block of faces, then the {@link CANDIDATES} smallest of each row.
 * Those rows are decided again exactly by {@link Gallery.matchAmong} (nearest and second-nearest person), and the
 * answer is kept only when every row left out scored more than twice {@link SCORE_ERROR} above the second-nearest
 * person's row — so no row left out can be nearer than it, and the answer is {@link Gallery.match}'s to the last
 * bit: person, distances, decision. Otherwise (all kept rows of one person, near-ties at the cut, a value that is
 * not finite) the face is matched by {@link Gallery.match} itself.
 */
export class GemmMatcher {
  /** Faces the scalar path decided since creation (too many rows within the error, values not finite). */
  scalarFaces = 0;

  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly gallery: Gallery,
    private readonly candidates: number,
    private readonly largestRowNorm: number,
  ) {}

  /** Rejects when ONNX Runtime cannot load, or the gallery is empty or holds values that are not finite. */
  static async create(gallery: Gallery, loadRuntime: () => Promise<typeof Ort> = loadOnnxRuntime): Promise<GemmMatcher> {
    if (gallery.size === 0) throw new Error('the gallery is empty');
    const { descriptors } = gallery.packed();
    let largestRowNorm = 0;
    for (let row = 0; row < gallery.size; row++) {
      const rowNorm = norm(descriptors, row * DESCRIPTOR_LENGTH, (row + 1) * DESCRIPTOR_LENGTH);
      if (Number.isNaN(rowNorm)) throw new Error(`gallery row ${row} holds a value that is not finite`);
      largestRowNorm = Math.max(largestRowNorm, rowNorm);
    }
    const ort = await loadRuntime();
    const candidates = Math.min(CANDIDATES, gallery.size);
    // One ORT thread: the MatchPool runs one worker per core, each with its own session.
    const session = await ort.InferenceSession.create(nearestRowsModel(descriptors, candidates), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: ORT_LOG_SEVERITY_FATAL,
    });
    return new GemmMatcher(ort, session, gallery, candidates, largestRowNorm);
  }

  async matchAll(descriptors: Float32Array, rule: MatchRule): Promise<MatchColumns> {
    const count = descriptors.length / DESCRIPTOR_LENGTH;
    const columns = emptyMatchColumns(count);
    const facesPerRun = Math.max(1, Math.floor(SCORES_PER_RUN / this.gallery.size));
    for (let first = 0; first < count; first += facesPerRun) {
      const faces = Math.min(facesPerRun, count - first);
      const block = descriptors.slice(first * DESCRIPTOR_LENGTH, (first + faces) * DESCRIPTOR_LENGTH);
      const outputs = await this.session.run({ [NEAREST_ROWS_INPUT]: new this.ort.Tensor('float32', block, [faces, DESCRIPTOR_LENGTH]) });
      const scores = outputs[NEAREST_SCORES_OUTPUT].data as Float32Array;
      const rows = outputs[NEAREST_ROWS_OUTPUT].data as BigInt64Array;
      for (let face = 0; face < faces; face++) {
        const descriptor = block.subarray(face * DESCRIPTOR_LENGTH, (face + 1) * DESCRIPTOR_LENGTH);
        setMatch(columns, first + face, this.decide(descriptor, scores, rows, face * this.candidates, rule));
      }
    }
    return columns;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  /** The face's match from its kept rows (`scores` ascending from `offset`), or by the scalar path when they cannot tell. */
  private decide(descriptor: Float32Array, scores: Float32Array, rows: BigInt64Array, offset: number, rule: MatchRule): GalleryMatch | undefined {
    const faceNorm = norm(descriptor, 0, DESCRIPTOR_LENGTH);
    if (Number.isNaN(faceNorm) || !Number.isFinite(scores[offset])) return this.scalar(descriptor, rule);
    const kept = rows.subarray(offset, offset + this.candidates);
    const match = this.gallery.matchAmong(
      descriptor,
      Array.from(kept, Number).sort((a, b) => a - b),
      rule,
    );
    // Every kept row was decided exactly: nothing was left out.
    if (this.candidates === this.gallery.size) return match;
    // A row left out scored at least the last kept score; its exact score is within the error of that, and the
    // second person's exact score within the error of its own. No second person among the kept rows: unknown.
    const secondIndex = match ? kept.indexOf(BigInt(match.secondRow)) : -1;
    if (secondIndex < 0) return this.scalar(descriptor, rule);
    const error = SCORE_ERROR * (faceNorm + this.largestRowNorm) ** 2;
    if (!(scores[offset + this.candidates - 1] > scores[offset + secondIndex] + 2 * error)) return this.scalar(descriptor, rule);
    return match;
  }

  private scalar(descriptor: Float32Array, rule: MatchRule): GalleryMatch | undefined {
    this.scalarFaces += 1;
    return this.gallery.match(descriptor, rule);
  }
}

import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { OnnxGraph } from '@visage/onnx-graph';

/**
 * The ONNX model of the batched gallery scan, one Gemm and one TopK:
 *
 *   scores  = −2 · faces · galleryᵀ + ‖gallery‖²      [faces, rows]  (= ‖face − row‖² − ‖face‖²)
 *   nearest = TopK(scores, k, smallest first)         values [faces, k], row indices [faces, k] (int64)
 *
 * Gemm and TopK (with `largest`, `sorted`) exist unchanged since opset 11, below the opset the graphs declare.
 */
export const NEAREST_ROWS_INPUT = 'faces';
export const NEAREST_SCORES_OUTPUT = 'nearest_scores';
export const NEAREST_ROWS_OUTPUT = 'nearest_rows';

/**
 * The model for `descriptors` (rows × 128, row-major) with each row's squared norm as float32, keeping the `k`
 * smallest scores of each face (k ≤ rows). The gallery is a constant, so ONNX Runtime packs it once per session.
 */
export function nearestRowsModel(descriptors: Float32Array, k: number): Uint8Array {
  const rows = descriptors.length / DESCRIPTOR_LENGTH;
  if (!Number.isInteger(rows) || rows < 1)
    throw new RangeError(`a gallery of ${descriptors.length} values is not whole ${DESCRIPTOR_LENGTH}-value rows`);
  if (!Number.isInteger(k) || k < 1 || k > rows) throw new RangeError(`k = ${k} outside 1..${rows}`);
  const squaredNorms = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let index = row * DESCRIPTOR_LENGTH; index < (row + 1) * DESCRIPTOR_LENGTH; index++) sum += descriptors[index] * descriptors[index];
    squaredNorms[row] = sum;
  }
  const graph = new OnnxGraph('nearest_rows');
  const faces = graph.input(NEAREST_ROWS_INPUT, ['faces', DESCRIPTOR_LENGTH]);
  const gallery = graph.constant('gallery', [rows, DESCRIPTOR_LENGTH], descriptors);
  const scores = graph.node('Gemm', [faces, gallery, graph.constant('squared_norms', [rows], squaredNorms)], {
    alpha: { float: -2 },
    beta: { float: 1 },
    transB: 1,
  });
  graph.nodeWithOutputs('TopK', [scores, graph.int64s('k', [k])], [NEAREST_SCORES_OUTPUT, NEAREST_ROWS_OUTPUT], { axis: 1, largest: 0, sorted: 1 });
  graph.output(NEAREST_SCORES_OUTPUT, ['faces', k]);
  graph.output(NEAREST_ROWS_OUTPUT, ['faces', k], 'int64');
  return graph.encode();
}

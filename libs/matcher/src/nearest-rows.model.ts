import { DESCRIPTOR_LENGTH } from '@visage/domain';

/**
 * The ONNX model of the batched gallery scan, written straight in protobuf's wire format: one Gemm and one TopK
 * need a dozen fields of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto), too few to carry a schema for (the
 * recognizer's graphs, with hundreds of nodes, use protobufjs; libs cannot import apps).
 *
 *   scores  = −2 · faces · galleryᵀ + ‖gallery‖²      [faces, rows]  (= ‖face − row‖² − ‖face‖²)
 *   nearest = TopK(scores, k, smallest first)         values [faces, k], row indices [faces, k] (int64)
 */
export const NEAREST_ROWS_INPUT = 'faces';
export const NEAREST_SCORES_OUTPUT = 'nearest_scores';
export const NEAREST_ROWS_OUTPUT = 'nearest_rows';

const IR_VERSION = 8;
/** Gemm and TopK (with `largest`, `sorted`) exist unchanged since opset 11; 13 as the recognizer's graphs use. */
const OPSET = 13;
const TENSOR_FLOAT = 1;
const TENSOR_INT64 = 7;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Non-negative integers only: every number this model writes is a size, an index or an enum. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function key(field: number, wireType: number): number[] {
  return varint(field * 8 + wireType);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const intField = (field: number, value: number) => Uint8Array.from([...key(field, VARINT), ...varint(value)]);
const bytesField = (field: number, bytes: Uint8Array) => concat([Uint8Array.from([...key(field, LENGTH_DELIMITED), ...varint(bytes.length)]), bytes]);
const stringField = (field: number, text: string) => bytesField(field, new TextEncoder().encode(text));
const messageField = (field: number, ...parts: Uint8Array[]) => bytesField(field, concat(parts));

function floatField(field: number, value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, true);
  return concat([Uint8Array.from(key(field, FIXED32)), bytes]);
}

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian). */
function initializer(name: string, dims: readonly number[], dataType: number, raw: ArrayBufferView): Uint8Array {
  return messageField(
    5,
    ...dims.map((dim) => intField(1, dim)),
    intField(2, dataType),
    stringField(8, name),
    bytesField(9, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)),
  );
}

/** ValueInfoProto name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 (dim_value 1 | dim_param 2). */
function valueInfo(field: number, name: string, elemType: number, shape: ReadonlyArray<number | string>): Uint8Array {
  const dims = shape.map((dim) => messageField(1, typeof dim === 'number' ? intField(1, dim) : stringField(2, dim)));
  return messageField(field, stringField(1, name), messageField(2, messageField(1, intField(1, elemType), messageField(2, ...dims))));
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5 (AttributeProto name 1, f 2, i 3, type 20). */
function node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Record<string, number | { float: number }>): Uint8Array {
  return messageField(
    1,
    ...inputs.map((input) => stringField(1, input)),
    ...outputs.map((output) => stringField(2, output)),
    stringField(3, opType.toLowerCase()),
    stringField(4, opType),
    ...Object.entries(attributes).map(([name, value]) =>
      typeof value === 'number'
        ? messageField(5, stringField(1, name), intField(3, value), intField(20, ATTRIBUTE_INT))
        : messageField(5, stringField(1, name), floatField(2, value.float), intField(20, ATTRIBUTE_FLOAT)),
    ),
  );
}

/**
 * The model for `descriptors` (rows × 128, row-major) with each row's squared norm as float32, keeping the `k`
 * smallest scores of each face (k ≤ rows). The gallery is a constant, so ONNX Runtime packs it once per session.
 */
export function nearestRowsModel(descriptors: Float32Array, k: number): Uint8Array {
  const rows = descriptors.length / DESCRIPTOR_LENGTH;
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`a gallery of ${descriptors.length} values is not whole ${DESCRIPTOR_LENGTH}-value rows`);
  if (!Number.isInteger(k) || k < 1 || k > rows) throw new RangeError(`k = ${k} outside 1..${rows}`);
  const squaredNorms = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let index = row * DESCRIPTOR_LENGTH; index < (row + 1) * DESCRIPTOR_LENGTH; index++) sum += descriptors[index] * descriptors[index];
    squaredNorms[row] = sum;
  }
  const graph = concat([
    node('Gemm', [NEAREST_ROWS_INPUT, 'gallery', 'squared_norms'], ['scores'], { alpha: { float: -2 }, beta: { float: 1 }, transB: 1 }),
    node('TopK', ['scores', 'k'], [NEAREST_SCORES_OUTPUT, NEAREST_ROWS_OUTPUT], { axis: 1, largest: 0, sorted: 1 }),
    stringField(2, 'nearest_rows'),
    initializer('gallery', [rows, DESCRIPTOR_LENGTH], TENSOR_FLOAT, descriptors),
    initializer('squared_norms', [rows], TENSOR_FLOAT, squaredNorms),
    initializer('k', [1], TENSOR_INT64, BigInt64Array.of(BigInt(k))),
    valueInfo(11, NEAREST_ROWS_INPUT, TENSOR_FLOAT, ['faces', DESCRIPTOR_LENGTH]),
    valueInfo(12, NEAREST_SCORES_OUTPUT, TENSOR_FLOAT, ['faces', k]),
    valueInfo(12, NEAREST_ROWS_OUTPUT, TENSOR_INT64, ['faces', k]),
  ]);
  return concat([
    intField(1, IR_VERSION),
    stringField(2, 'visage'),
    messageField(7, graph),
    messageField(8, intField(2, OPSET)),
  ]);
}

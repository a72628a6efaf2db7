import * as protobuf from 'protobufjs';

/**
 * The part of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto, IR version 8) needed to write an inference graph
 * of float and int64 tensors: names and field numbers as in the official schema, so ONNX Runtime (or any ONNX tool)
 * reads the bytes. proto3 syntax so repeated numbers are packed; one message a line, to be read against onnx.proto.
 */
const ONNX_SCHEMA = `
syntax = "proto3";
package onnx;
message ModelProto { int64 ir_version = 1; string producer_name = 2; string producer_version = 3; GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8; }
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message GraphProto { repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; }
message NodeProto { repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4; repeated AttributeProto attribute = 5; }
message AttributeProto { string name = 1; float f = 2; int64 i = 3; bytes s = 4; repeated int64 ints = 8; int32 type = 20; }
message TensorProto { repeated int64 dims = 1; int32 data_type = 2; string name = 8; bytes raw_data = 9; }
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message TypeProto { message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; } Tensor tensor_type = 1; }
message TensorShapeProto { message Dimension { int64 dim_value = 1; string dim_param = 2; } repeated Dimension dim = 1; }
`;

/** resolveAll: protobufjs settles each field's encoding (proto3 packs repeated numbers) only when the root is resolved. */
const ModelProto = protobuf.parse(ONNX_SCHEMA).root.resolveAll().lookupType('onnx.ModelProto');

const IR_VERSION = 8;
/** Every operator the graphs use exists unchanged since opset 13, which ONNX Runtime ≥ 1.8 implements. */
const OPSET = 13;
/** TensorProto.DataType. */
const ELEMENT_TYPES = { float: 1, int64: 7 } as const;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_STRING = 3;
const ATTRIBUTE_INTS = 7;

export type AttributeValue = number | number[] | string | { float: number };
/** A dimension: a size, or a name for a size given at run time (the batch). */
export type Dimension = number | string;
/** The element type of a graph's input or output. */
export type ElementType = keyof typeof ELEMENT_TYPES;

interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  ints?: number[];
}

/**
 * Builds one ONNX graph in memory: constant initializers, nodes in topological order, named inputs and outputs.
 * `encode()` gives the ModelProto bytes an `InferenceSession` is created from.
 */
export class OnnxGraph {
  private readonly nodes: object[] = [];
  private readonly initializers: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  input(name: string, shape: Dimension[], elementType: ElementType = 'float'): string {
    this.inputs.push(valueInfo(name, shape, elementType));
    return name;
  }

  output(name: string, shape: Dimension[], elementType: ElementType = 'float'): void {
    this.outputs.push(valueInfo(name, shape, elementType));
  }

  /** A constant float tensor (weights). */
  constant(prefix: string, dims: number[], values: Float32Array): string {
    if (values.length !== dims.reduce((product, dim) => product * dim, 1)) {
      throw new Error(`${prefix}: ${values.length} values do not fill dims [${dims.join(', ')}]`);
    }
    const name = this.fresh(prefix);
    this.initializers.push({
      name,
      dims,
      dataType: ELEMENT_TYPES.float,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  /** A constant int64 vector (shapes, pads, counts). */
  int64s(prefix: string, values: number[]): string {
    const name = this.fresh(prefix);
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: ELEMENT_TYPES.int64,
      rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
    });
    return name;
  }

  /** Adds a node; returns the name of its (single) output, or `outputName` when given. */
  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputName?: string): string {
    const output = outputName ?? this.fresh(opType.toLowerCase());
    this.nodeWithOutputs(opType, inputs, [output], attributes);
    return output;
  }

  /** Adds a node with several named outputs (TopK: values and indices); the node is named after the first. */
  nodeWithOutputs(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}): void {
    this.nodes.push({
      opType,
      name: outputs[0],
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
  }

  encode(): Uint8Array {
    const model = ModelProto.fromObject({
      irVersion: IR_VERSION,
      producerName: 'visage',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return ModelProto.encode(model).finish();
  }

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }
}

function valueInfo(name: string, shape: Dimension[], elementType: ElementType): object {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPES[elementType],
        shape: { dim: shape.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): Attribute {
  if (typeof value === 'string') return { name, type: ATTRIBUTE_STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: ATTRIBUTE_INTS, ints: value };
  if (typeof value === 'object') return { name, type: ATTRIBUTE_FLOAT, f: value.float };
  return { name, type: ATTRIBUTE_INT, i: value };
}

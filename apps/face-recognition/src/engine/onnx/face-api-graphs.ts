import { OnnxGraph } from '@visage/onnx-graph';
import { BATCH_NORM_EPSILON, SSD_INPUT_SIZE } from '../ssd-detector';
import { readFaceApiWeights, weight, Weight, WeightMap } from './face-api-weights';

/**
 * face-api's three networks rebuilt as ONNX graphs from the weights it ships, layer for layer as its TensorFlow.js
 * code runs them (src/ssdMobilenetv1, src/faceLandmarkNet + src/faceFeatureExtractor, src/faceRecognitionNet), in
 * NCHW with every affine step after a convolution (batch norm, face-api's `scale` layer, bias adds) folded into the
 * convolution's weights and bias. ONNX Runtime then fuses each Conv with the ReLU / Clip(0, 6) that follows.
 * Input normalisation (mean, scale) and everything around the nets (resizing, anchors, NMS, alignment) stay in JS.
 */

export const LANDMARK_INPUT_SIZE = 112;
export const DESCRIPTOR_INPUT_SIZE = 150;

export interface FaceApiGraphs {
  ssd: Uint8Array;
  landmarks: Uint8Array;
  descriptor: Uint8Array;
  /** SSD anchors (face-api's `Output/extra_dim`): [top, left, bottom, right] per box, 5,118 boxes. */
  anchors: Float32Array;
}

export function buildFaceApiGraphs(modelDir: string): FaceApiGraphs {
  const ssdWeights = readFaceApiWeights(modelDir, 'ssd_mobilenetv1_model');
  return {
    ssd: buildSsdGraph(ssdWeights),
    landmarks: buildLandmarkGraph(readFaceApiWeights(modelDir, 'face_landmark_68_model')),
    descriptor: buildDescriptorGraph(readFaceApiWeights(modelDir, 'face_recognition_model')),
    anchors: weight(ssdWeights, 'Output/extra_dim').values,
  };
}

type Padding = 'same' | 'valid';

interface ConvSpec {
  /** TensorFlow layout: [kh, kw, in, out] (regular) or [kh, kw, in, multiplier] (depthwise). */
  filters: Weight;
  /** Per output channel: the convolution's result is multiplied by this (folded batch norm / scale layer). */
  scale?: Float32Array;
  /** Per output channel, added after `scale`. */
  bias?: Float32Array;
  stride: number;
  padding: Padding;
  depthwise?: boolean;
}

/** A graph with face-api's layer vocabulary. */
class Layers {
  readonly graph: OnnxGraph;
  /** Clip's bounds, created on first use (a graph without relu6 would carry unused initializers). */
  private clipBounds?: [string, string];

  constructor(name: string) {
    this.graph = new OnnxGraph(name);
  }

  conv(x: string, spec: ConvSpec): string {
    const [kh, kw, channelsIn, channelsOut] = spec.filters.shape;
    const outputs = spec.depthwise ? channelsIn * channelsOut : channelsOut;
    const scale = spec.scale ?? new Float32Array(outputs).fill(1);
    const kernel = new Float32Array(spec.filters.values.length);
    const source = spec.filters.values;
    // TensorFlow HWIO (or HW C M) → ONNX OIHW (depthwise: [C·M, 1, kh, kw], group C).
    for (let h = 0; h < kh; h++) {
      for (let w = 0; w < kw; w++) {
        for (let i = 0; i < channelsIn; i++) {
          for (let o = 0; o < channelsOut; o++) {
            const value = source[((h * kw + w) * channelsIn + i) * channelsOut + o];
            if (spec.depthwise) {
              const channel = i * channelsOut + o;
              kernel[(channel * kh + h) * kw + w] = value * scale[channel];
            } else {
              kernel[((o * channelsIn + i) * kh + h) * kw + w] = value * scale[o];
            }
          }
        }
      }
    }
    const dims = spec.depthwise ? [outputs, 1, kh, kw] : [channelsOut, channelsIn, kh, kw];
    const inputs = [x, this.graph.constant('w', dims, kernel)];
    if (spec.bias) inputs.push(this.graph.constant('b', [outputs], spec.bias));
    return this.graph.node('Conv', inputs, {
      kernel_shape: [kh, kw],
      strides: [spec.stride, spec.stride],
      auto_pad: spec.padding === 'same' ? 'SAME_UPPER' : 'VALID',
      ...(spec.depthwise ? { group: channelsIn } : {}),
    });
  }

  relu(x: string): string {
    return this.graph.node('Relu', [x]);
  }

  relu6(x: string): string {
    this.clipBounds ??= [this.graph.constant('relu6_min', [], Float32Array.of(0)), this.graph.constant('relu6_max', [], Float32Array.of(6))];
    return this.graph.node('Clip', [x, ...this.clipBounds]);
  }

  add(a: string, b: string): string {
    return this.graph.node('Add', [a, b]);
  }
}

// ---- SSD MobileNetV1 (face-api src/ssdMobilenetv1: mobileNetV1.ts, predictionLayer.ts, boxPredictionLayer.ts)

const SSD_DOWNSAMPLING_LAYERS = new Set([2, 4, 6, 12]);

function buildSsdGraph(weights: WeightMap): Uint8Array {
  const layers = new Layers('ssd_mobilenetv1');
  const get = (name: string) => weight(weights, name);
  const pointwise = (x: string, prefix: string, index: number, stride: number) =>
    layers.relu6(
      layers.conv(x, {
        filters: get(`${prefix}/Conv2d_${index}_pointwise/weights`),
        bias: get(`${prefix}/Conv2d_${index}_pointwise/convolution_bn_offset`).values,
        stride,
        padding: 'same',
      }),
    );
  const depthwise = (x: string, index: number) => {
    const prefix = `MobilenetV1/Conv2d_${index}_depthwise`;
    const gamma = get(`${prefix}/BatchNorm/gamma`).values;
    const beta = get(`${prefix}/BatchNorm/beta`).values;
    const mean = get(`${prefix}/BatchNorm/moving_mean`).values;
    const variance = get(`${prefix}/BatchNorm/moving_variance`).values;
    const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + BATCH_NORM_EPSILON));
    const bias = beta.map((b, c) => b - mean[c] * scale[c]);
    return layers.relu6(
      layers.conv(x, {
        filters: get(`${prefix}/depthwise_weights`),
        scale,
        bias,
        stride: SSD_DOWNSAMPLING_LAYERS.has(index) ? 2 : 1,
        padding: 'same',
        depthwise: true,
      }),
    );
  };

  // Input: the 512×512 RGB square already scaled to [-1, 1] (face-api: x / 127.5 - 1).
  let out = pointwise(layers.graph.input('image', [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]), 'MobilenetV1', 0, 2);
  let conv11 = out;
  for (let index = 1; index <= 13; index++) {
    out = pointwise(depthwise(out, index), 'MobilenetV1', index, 1);
    if (index === 11) conv11 = out;
  }
  const conv0 = pointwise(out, 'Prediction', 0, 1);
  const conv1 = pointwise(conv0, 'Prediction', 1, 2);
  const conv2 = pointwise(conv1, 'Prediction', 2, 1);
  const conv3 = pointwise(conv2, 'Prediction', 3, 2);
  const conv4 = pointwise(conv3, 'Prediction', 4, 1);
  const conv5 = pointwise(conv4, 'Prediction', 5, 2);
  const conv6 = pointwise(conv5, 'Prediction', 6, 1);
  const conv7 = pointwise(conv6, 'Prediction', 7, 2);
  const features = [conv11, out, conv1, conv3, conv5, conv7];
  // face-api reshapes each NHWC prediction map to [-1, 4] / [-1, 3]: channels last, so transpose NCHW back first.
  const predictions = (kind: 'BoxEncodingPredictor' | 'ClassPredictor', width: number) => {
    const shape = layers.graph.int64s('shape', [-1, width]);
    return features.map((feature, index) => {
      const conv = layers.conv(feature, {
        filters: get(`Prediction/BoxPredictor_${index}/${kind}/weights`),
        bias: get(`Prediction/BoxPredictor_${index}/${kind}/biases`).values,
        stride: 1,
        padding: 'same',
      });
      return layers.graph.node('Reshape', [layers.graph.node('Transpose', [conv], { perm: [0, 2, 3, 1] }), shape]);
    });
  };
  layers.graph.node('Concat', predictions('BoxEncodingPredictor', 4), { axis: 0 }, 'box_encodings');
  layers.graph.node('Concat', predictions('ClassPredictor', 3), { axis: 0 }, 'class_logits');
  layers.graph.output('box_encodings', ['boxes', 4]);
  layers.graph.output('class_logits', ['boxes', 3]);
  return layers.graph.encode();
}

// ---- 68-point landmarks (face-api src/faceFeatureExtractor/denseBlock.ts, FaceLandmark68Net: 4 dense blocks + fc)

function buildLandmarkGraph(weights: WeightMap): Uint8Array {
  const layers = new Layers('face_landmark_68');
  const get = (name: string) => weight(weights, name);
  // tf.separableConv2d + bias: a depthwise conv (no bias) then a 1×1 conv with the bias.
  const separable = (x: string, prefix: string, stride: number) =>
    layers.conv(layers.conv(x, { filters: get(`${prefix}/depthwise_filter`), stride, padding: 'same', depthwise: true }), {
      filters: get(`${prefix}/pointwise_filter`),
      bias: get(`${prefix}/bias`).values,
      stride: 1,
      padding: 'same',
    });
  const denseBlock = (x: string, block: string, first: boolean) => {
    const out1 = layers.relu(
      first
        ? layers.conv(x, { filters: get(`${block}/conv0/filters`), bias: get(`${block}/conv0/bias`).values, stride: 2, padding: 'same' })
        : separable(x, `${block}/conv0`, 2),
    );
    const out2 = separable(out1, `${block}/conv1`, 1);
    const in3 = layers.relu(layers.add(out1, out2));
    const out3 = separable(in3, `${block}/conv2`, 1);
    const in4 = layers.relu(layers.add(out1, layers.add(out2, out3)));
    const out4 = separable(in4, `${block}/conv3`, 1);
    return layers.relu(layers.add(out1, layers.add(out2, layers.add(out3, out4))));
  };
  // Input: [faces, 3, 112, 112], (rgb - mean) / 255.
  let out = denseBlock(layers.graph.input('faces', ['faces', 3, LANDMARK_INPUT_SIZE, LANDMARK_INPUT_SIZE]), 'dense0', true);
  out = denseBlock(out, 'dense1', false);
  out = denseBlock(out, 'dense2', false);
  out = denseBlock(out, 'dense3', false);
  out = layers.graph.node('AveragePool', [out], { kernel_shape: [7, 7], strides: [2, 2] });
  out = layers.graph.node('Flatten', [out], { axis: 1 });
  const fc = get('fc/weights');
  layers.graph.node(
    'Gemm',
    [out, layers.graph.constant('fc_w', fc.shape, fc.values), layers.graph.constant('fc_b', [fc.shape[1]], get('fc/bias').values)],
    {},
    'landmarks',
  );
  layers.graph.output('landmarks', ['faces', 136]);
  return layers.graph.encode();
}

// ---- FaceRecognitionNet (face-api src/faceRecognitionNet: a ResNet-34 as dlib's, conv + bias + scale layers)

function buildDescriptorGraph(weights: WeightMap): Uint8Array {
  const layers = new Layers('face_recognition');
  const get = (name: string) => weight(weights, name);
  /** face-api's convLayer: conv, + bias, * scale.weights + scale.biases (folded: W·s, b·s + t), optional ReLU. */
  const convLayer = (x: string, prefix: string, stride: number, padding: Padding, relu: boolean) => {
    const scale = get(`${prefix}/scale/weights`).values;
    const shift = get(`${prefix}/scale/biases`).values;
    const bias = get(`${prefix}/conv/bias`).values.map((b, c) => b * scale[c] + shift[c]);
    const out = layers.conv(x, { filters: get(`${prefix}/conv/filters`), scale, bias, stride, padding });
    return relu ? layers.relu(out) : out;
  };
  const channels = (prefix: string) => get(`${prefix}/conv/filters`).shape[3];
  const residual = (x: string, prefix: string) =>
    layers.relu(layers.add(convLayer(convLayer(x, `${prefix}/conv1`, 1, 'same', true), `${prefix}/conv2`, 1, 'same', false), x));
  /**
   * face-api's residualDown: a strided 'valid' conv path and a 2×2 average-pool shortcut; when their sizes differ
   * the conv path gets a zero row and column at the end, and the shortcut zero channels at the end.
   */
  const residualDown = (x: string, prefix: string, size: number, channelsIn: number): { out: string; size: number } => {
    let out = convLayer(convLayer(x, `${prefix}/conv1`, 2, 'valid', true), `${prefix}/conv2`, 1, 'same', false);
    const convSize = Math.floor((size - 3) / 2) + 1;
    const pooledSize = Math.floor(size / 2);
    if (convSize !== pooledSize) {
      out = layers.graph.node('Pad', [out, layers.graph.int64s('pads', [0, 0, 0, 0, 0, 0, pooledSize - convSize, pooledSize - convSize])]);
    }
    let pooled = layers.graph.node('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    const channelsOut = channels(`${prefix}/conv2`);
    if (channelsOut !== channelsIn)
      pooled = layers.graph.node('Pad', [pooled, layers.graph.int64s('pads', [0, 0, 0, 0, 0, channelsOut - channelsIn, 0, 0])]);
    return { out: layers.relu(layers.add(pooled, out)), size: pooledSize };
  };

  // Input: [faces, 3, 150, 150], (rgb - mean) / 255.
  let out = convLayer(layers.graph.input('faces', ['faces', 3, DESCRIPTOR_INPUT_SIZE, DESCRIPTOR_INPUT_SIZE]), 'conv32_down', 2, 'valid', true);
  out = layers.graph.node('MaxPool', [out], { kernel_shape: [3, 3], strides: [2, 2] });
  let size = Math.floor((Math.floor((DESCRIPTOR_INPUT_SIZE - 7) / 2) + 1 - 3) / 2) + 1;
  let channelsIn = channels('conv32_down');
  for (const stage of [
    ['conv32_1', 'conv32_2', 'conv32_3'],
    ['conv64_down', 'conv64_1', 'conv64_2', 'conv64_3'],
    ['conv128_down', 'conv128_1', 'conv128_2'],
    ['conv256_down', 'conv256_1', 'conv256_2'],
    ['conv256_down_out'],
  ]) {
    for (const prefix of stage) {
      if (prefix.includes('_down')) {
        ({ out, size } = residualDown(out, prefix, size, channelsIn));
        channelsIn = channels(`${prefix}/conv2`);
      } else {
        out = residual(out, prefix);
      }
    }
  }
  out = layers.graph.node('Flatten', [layers.graph.node('GlobalAveragePool', [out])], { axis: 1 });
  const fc = get('fc');
  layers.graph.node('MatMul', [out, layers.graph.constant('fc', fc.shape, fc.values)], {}, 'descriptors');
  layers.graph.output('descriptors', ['faces', 128]);
  return layers.graph.encode();
}

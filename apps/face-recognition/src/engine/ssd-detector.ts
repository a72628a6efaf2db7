import { BoxPredictorParams, DepthwiseParams, PointwiseParams, SsdParams, Tensor, Tensor1D, Tensor4D, Tf } from './face-api.types';
import { RgbImage, squareResize } from './pixels';

/** face-api's SSD runs on a 512×512 square; its anchors are laid out for that size. */
export const SSD_INPUT_SIZE = 512;
export const BATCH_NORM_EPSILON = 0.0010000000474974513;
const IOU_THRESHOLD = 0.5;
const DOWNSAMPLING_LAYERS = new Set([2, 4, 6, 12]);

export interface Detection {
  score: number;
  /** Pixels of the image given to {@link SsdDetector.detect}. */
  x: number;
  y: number;
  width: number;
  height: number;
}

// A type alias (not an interface) so it is assignable to tf.tidy's TensorContainer.
type FoldedDepthwise = {
  filters: Tensor4D;
  bias: Tensor1D;
};

/**
 * face-api's SSD MobileNetV1 with the same weights, computed faster:
 * - batch norm folded into the depthwise filters once at load, and every convolution run as one fused
 *   conv + bias + relu6 kernel (face-api runs conv, batchNorm/add and clip as three passes over each activation);
 * - its 512×512 input is computed in JS from the decoded buffer (pixels.ts: face-api's pad-to-square + bilinear
 *   resize, without building the padded square in the WASM heap);
 * - box decoding and non-max suppression in plain JS over the few candidates above the score threshold
 *   (face-api's NMS calls `arraySync()` on all 5,118 boxes for every pair it compares).
 * The weights, anchors, decoding and NMS rule are face-api's; a test checks both give the same faces.
 */
export class SsdDetector {
  private readonly folded = new Map<number, FoldedDepthwise>();
  private readonly anchors: Float32Array;

  constructor(
    private readonly tf: Tf,
    private readonly params: SsdParams,
  ) {
    for (let layer = 1; layer <= 13; layer++) {
      const depthwise = this.pair(layer).depthwise_conv;
      this.folded.set(layer, tf.tidy(() => foldBatchNorm(tf, depthwise)) as FoldedDepthwise);
    }
    this.anchors = params.output_layer.extra_dim.dataSync() as Float32Array;
  }

  dispose(): void {
    for (const { filters, bias } of this.folded.values()) this.tf.dispose([filters, bias]);
    this.folded.clear();
  }

  /** Faces scoring above `minScore`, best first, at most `maxResults`. */
  async detect(image: RgbImage, minScore: number, maxResults = 100): Promise<Detection[]> {
    const side = Math.max(image.width, image.height);
    const input = this.tf.tensor4d(squareResize(image, SSD_INPUT_SIZE), [1, SSD_INPUT_SIZE, SSD_INPUT_SIZE, 3]);
    let encodings: Tensor;
    let logits: Tensor;
    try {
      ({ encodings, logits } = this.tf.tidy(() => this.forward(input)));
    } finally {
      input.dispose();
    }
    let encodingData: Float32Array;
    let logitData: Float32Array;
    try {
      [encodingData, logitData] = (await Promise.all([encodings.data(), logits.data()])) as [Float32Array, Float32Array];
    } finally {
      this.tf.dispose([encodings, logits]);
    }
    return decodeSsdOutput(this.anchors, encodingData, logitData, side, minScore, maxResults);
  }

  private forward(input: Tensor4D): { encodings: Tensor; logits: Tensor } {
    const tf = this.tf;
    const mobilenet = this.params.mobilenetv1;
    const x = tf.sub(tf.div(input, 127.5), 1) as Tensor4D;
    let out = this.pointwise(x, mobilenet.conv_0 as PointwiseParams, 2);
    let conv11 = out;
    for (let layer = 1; layer <= 13; layer++) {
      const folded = this.folded.get(layer) as FoldedDepthwise;
      out = tf.fused.depthwiseConv2d({
        x: out,
        filter: folded.filters,
        strides: DOWNSAMPLING_LAYERS.has(layer) ? 2 : 1,
        pad: 'same',
        bias: folded.bias,
        activation: 'relu6',
      });
      out = this.pointwise(out, this.pair(layer).pointwise_conv, 1);
      if (layer === 11) conv11 = out;
    }
    const prediction = this.params.prediction_layer;
    const layer = (name: string) => prediction[name] as PointwiseParams;
    const conv0 = this.pointwise(out, layer('conv_0'), 1);
    const conv1 = this.pointwise(conv0, layer('conv_1'), 2);
    const conv2 = this.pointwise(conv1, layer('conv_2'), 1);
    const conv3 = this.pointwise(conv2, layer('conv_3'), 2);
    const conv4 = this.pointwise(conv3, layer('conv_4'), 1);
    const conv5 = this.pointwise(conv4, layer('conv_5'), 2);
    const conv6 = this.pointwise(conv5, layer('conv_6'), 1);
    const conv7 = this.pointwise(conv6, layer('conv_7'), 2);
    const features = [conv11, out, conv1, conv3, conv5, conv7];
    const predictor = (index: number) => prediction[`box_predictor_${index}`] as BoxPredictorParams;
    const conv = (input4d: Tensor4D, params: { filters: Tensor4D; bias: Tensor1D }) =>
      tf.fused.conv2d({ x: input4d, filter: params.filters, strides: 1, pad: 'same', bias: params.bias });
    const encodings = tf.concat(
      features.map((feature, index) => tf.reshape(conv(feature, predictor(index).box_encoding_predictor), [-1, 4])),
      0,
    );
    const logits = tf.concat(
      features.map((feature, index) => tf.reshape(conv(feature, predictor(index).class_predictor), [-1, 3])),
      0,
    );
    return { encodings, logits };
  }

  private pointwise(x: Tensor4D, params: PointwiseParams, strides: number): Tensor4D {
    return this.tf.fused.conv2d({
      x,
      filter: params.filters,
      strides,
      pad: 'same',
      bias: params.batch_norm_offset,
      activation: 'relu6',
    });
  }

  private pair(layer: number): { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams } {
    return this.params.mobilenetv1[`conv_${layer}`] as { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams };
  }
}

/**
 * face-api's outputLayer + nonMaxSuppression over SSD's raw outputs (box encodings [n, 4], class logits [n, 3]),
 * computed over the candidates above `minScore` only. Boxes come back in pixels of the `side`×`side` input square.
 */
export function decodeSsdOutput(
  anchors: Float32Array,
  encodings: Float32Array,
  logits: Float32Array,
  side: number,
  minScore: number,
  maxResults: number,
): Detection[] {
  const count = anchors.length / 4;
  const candidates: Array<{ score: number; box: number[] }> = [];
  for (let i = 0; i < count; i++) {
    const score = 1 / (1 + Math.exp(-logits[i * 3 + 1]));
    if (score <= minScore) continue;
    const a = i * 4;
    const anchorHeight = anchors[a + 2] - anchors[a];
    const anchorWidth = anchors[a + 3] - anchors[a + 1];
    const centerY = anchors[a] + anchorHeight / 2;
    const centerX = anchors[a + 1] + anchorWidth / 2;
    const halfHeight = (Math.exp(encodings[a + 2] / 5) * anchorHeight) / 2;
    const halfWidth = (Math.exp(encodings[a + 3] / 5) * anchorWidth) / 2;
    const y = (encodings[a] / 10) * anchorHeight + centerY;
    const x = (encodings[a + 1] / 10) * anchorWidth + centerX;
    candidates.push({ score, box: [y - halfHeight, x - halfWidth, y + halfHeight, x + halfWidth] });
  }
  candidates.sort((p, q) => q.score - p.score);
  const selected: Array<{ score: number; box: number[] }> = [];
  for (const candidate of candidates) {
    if (selected.length >= maxResults) break;
    if (selected.every((kept) => iou(kept.box, candidate.box) <= IOU_THRESHOLD)) selected.push(candidate);
  }
  return selected.map(({ score, box }) => {
    const [top, left, bottom, right] = [Math.max(0, box[0]), Math.max(0, box[1]), Math.min(1, box[2]), Math.min(1, box[3])];
    return { score, x: left * side, y: top * side, width: (right - left) * side, height: (bottom - top) * side };
  });
}

function foldBatchNorm(tf: Tf, params: DepthwiseParams): FoldedDepthwise {
  const factor = tf.div(params.batch_norm_scale, tf.sqrt(tf.add(params.batch_norm_variance, BATCH_NORM_EPSILON)));
  return {
    filters: tf.mul(params.filters, tf.reshape(factor, [1, 1, -1, 1])) as Tensor4D,
    bias: tf.sub(params.batch_norm_offset, tf.mul(params.batch_norm_mean, factor)) as Tensor1D,
  };
}

function iou(a: number[], b: number[]): number {
  const areaA = (Math.max(a[0], a[2]) - Math.min(a[0], a[2])) * (Math.max(a[1], a[3]) - Math.min(a[1], a[3]));
  const areaB = (Math.max(b[0], b[2]) - Math.min(b[0], b[2])) * (Math.max(b[1], b[3]) - Math.min(b[1], b[3]));
  if (areaA <= 0 || areaB <= 0) return 0;
  const top = Math.max(Math.min(a[0], a[2]), Math.min(b[0], b[2]));
  const left = Math.max(Math.min(a[1], a[3]), Math.min(b[1], b[3]));
  const bottom = Math.min(Math.max(a[0], a[2]), Math.max(b[0], b[2]));
  const right = Math.min(Math.max(a[1], a[3]), Math.max(b[1], b[3]));
  const intersection = Math.max(bottom - top, 0) * Math.max(right - left, 0);
  return intersection / (areaA + areaB - intersection);
}

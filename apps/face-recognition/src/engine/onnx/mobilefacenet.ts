import type * as ort from 'onnxruntime-node';
import { ARCFACE_SIZE, arcfaceChipDetails } from '../arcface-alignment';
import { ChipPoint, extractFaceChip } from '../face-chip';
import { RgbImage } from '../pixels';
import { PlanarNormalisation, writePlanarChip } from './planar-input';

/** The model's own input scaling (its `lib/fr_feature.js`): RGB, (x − 127) / 128. */
const MOBILEFACENET_NORMALISATION: PlanarNormalisation = { mean: [127, 127, 127], divisor: 128 };

/**
 * The `mobilefacenet` descriptor of a face: the ArcFace-aligned 112 × 112 face through the net (one face a run: the
 * exported graph's batch is fixed at 1), the 512 floats scaled to length ½, so that the Euclidean distance of two
 * descriptors runs from 0 (same direction) to 1 (opposite) — half the distance of unit vectors, √(cosine distance / 2).
 */
export async function describeWithMobileFaceNet(
  session: ort.InferenceSession,
  Tensor: typeof ort.Tensor,
  image: RgbImage,
  landmarks: ChipPoint[],
): Promise<Float32Array> {
  const input = new Float32Array(3 * ARCFACE_SIZE * ARCFACE_SIZE);
  writePlanarChip(extractFaceChip(image, arcfaceChipDetails(landmarks)), ARCFACE_SIZE, MOBILEFACENET_NORMALISATION, input, 0);
  const outputs = await session.run({ input: new Tensor('float32', input, [1, 3, ARCFACE_SIZE, ARCFACE_SIZE]) });
  return toHalfUnitLength(outputs.output.data as Float32Array);
}

/** `values` scaled to Euclidean length ½ (a zero vector stays zero). */
function toHalfUnitLength(values: Float32Array): Float32Array {
  let sum = 0;
  for (const value of values) sum += value * value;
  const scale = sum > 0 ? 0.5 / Math.sqrt(sum) : 0;
  return values.map((value) => value * scale);
}

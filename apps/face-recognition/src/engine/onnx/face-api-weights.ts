import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Weight {
  shape: number[];
  values: Float32Array;
}

export type WeightMap = Map<string, Weight>;

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8'; scale: number; min: number };
}

/**
 * Reads one of face-api's TensorFlow.js weight files (`<model>-weights_manifest.json` + its `.bin` shards) the way
 * tfjs' `io.decodeWeights` does: uint8-quantized entries are `q * scale + min`, others are raw little-endian.
 * int32 entries (unused graph constants of the SSD export) are skipped.
 */
export function readFaceApiWeights(modelDir: string, model: string): WeightMap {
  const groups = JSON.parse(readFileSync(join(modelDir, `${model}-weights_manifest.json`), 'utf8')) as Array<{
    paths: string[];
    weights: ManifestEntry[];
  }>;
  const weights: WeightMap = new Map();
  for (const group of groups) {
    const bytes = Buffer.concat(group.paths.map((path) => readFileSync(join(modelDir, path))));
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((product, dim) => product * dim, 1);
      const { quantization } = entry;
      if (quantization) {
        if (quantization.dtype !== 'uint8') throw new Error(`${model}: ${entry.name} uses unsupported quantization ${quantization.dtype}`);
        const values = new Float32Array(count);
        for (let i = 0; i < count; i++) values[i] = bytes[offset + i] * quantization.scale + quantization.min;
        if (entry.dtype === 'float32') weights.set(entry.name, { shape: entry.shape, values });
        offset += count;
      } else {
        if (entry.dtype === 'float32') {
          const values = new Float32Array(count);
          for (let i = 0; i < count; i++) values[i] = bytes.readFloatLE(offset + i * 4);
          weights.set(entry.name, { shape: entry.shape, values });
        }
        offset += count * 4;
      }
    }
    if (offset !== bytes.length) throw new Error(`${model}: manifest describes ${offset} bytes, weight files hold ${bytes.length}`);
  }
  return weights;
}

export function weight(weights: WeightMap, name: string): Weight {
  const found = weights.get(name);
  if (!found) throw new Error(`weight ${name} missing from the face-api model`);
  return found;
}

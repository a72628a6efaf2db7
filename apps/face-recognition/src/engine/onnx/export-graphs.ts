/**
 * Writes the ONNX graphs the recognizer builds in memory at start, for inspection with any ONNX tool (Netron,
 * onnx.checker, onnxruntime's perf test). The service never reads these files.
 *
 * Run: npm run onnx:export -- [output dir, default ./onnx-graphs]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { faceApiModelDir } from '../runtime';
import { buildFaceApiGraphs } from './face-api-graphs';

const outputDir = resolve(process.argv[2] ?? 'onnx-graphs');
const graphs = buildFaceApiGraphs(faceApiModelDir());
mkdirSync(outputDir, { recursive: true });
for (const [name, bytes] of [
  ['ssd_mobilenetv1.onnx', graphs.ssd],
  ['face_landmark_68.onnx', graphs.landmarks],
  ['face_recognition.onnx', graphs.descriptor],
] as const) {
  writeFileSync(join(outputDir, name), bytes);
  console.log(`${join(outputDir, name)}: ${(bytes.length / 1024 / 1024).toFixed(1)} MiB`);
}

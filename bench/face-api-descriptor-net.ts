import * as ort from 'onnxruntime-node';
import { faceApiModelDir } from '../apps/face-recognition/src/engine/runtime';
import { buildFaceApiGraphs, DESCRIPTOR_INPUT_SIZE } from '../apps/face-recognition/src/engine/onnx/face-api-graphs';

/** `count` planar 150 × 150 inputs in, `count` × 128 descriptor floats out. */
export type DescriptorNet = (input: Float32Array, count: number) => Promise<Float32Array>;

/**
 * face-api's FaceRecognitionNet on ONNX Runtime with one thread, as the descriptor benches run it: their CPU time
 * per face is comparable with each other and with one recognizer worker's.
 */
export async function faceApiDescriptorNet(): Promise<DescriptorNet> {
  const session = await ort.InferenceSession.create(buildFaceApiGraphs(faceApiModelDir()).descriptor, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  return async (input, count) => {
    const outputs = await session.run({ faces: new ort.Tensor('float32', input, [count, 3, DESCRIPTOR_INPUT_SIZE, DESCRIPTOR_INPUT_SIZE]) });
    return outputs.descriptors.data as Float32Array;
  };
}

/**
 * Child process of onnx-runtime.spec.ts: builds a model ONNX Runtime warns about (an initializer no node uses),
 * creates a session on it and runs it. `quiet`: the runtime as the apps load it (`loadOnnxRuntime`, sessions at
 * ORT_LOG_SEVERITY_FATAL); `default`: onnxruntime-node as it comes. The parent reads what reached stderr.
 */
import { loadOnnxRuntime, OnnxGraph, ORT_LOG_SEVERITY_FATAL } from '@visage/onnx-graph';

async function main(mode: string): Promise<void> {
  const ort = mode === 'quiet' ? await loadOnnxRuntime() : await import('onnxruntime-node');
  const graph = new OnnxGraph('unused-initializer');
  const x = graph.input('x', [1, 2]);
  graph.constant('unused', [2], Float32Array.of(1, 2));
  graph.node('Relu', [x], {}, 'y');
  graph.output('y', [1, 2]);
  const session = await ort.InferenceSession.create(graph.encode(), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    ...(mode === 'quiet' ? { logSeverityLevel: ORT_LOG_SEVERITY_FATAL } : {}),
  });
  const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 1), [1, 2]) });
  process.stdout.write(JSON.stringify(Array.from(y.data as Float32Array)));
  await session.release();
}

main(process.argv[2] ?? 'quiet').catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});

export * from './onnx-graph';
export * from './onnx-runtime';

import { dirname, join } from 'node:path';
import { FaceApi, Tf } from './face-api.types';

/** `wasm`: TensorFlow.js WASM (default, ships with the package). `tensorflow`: @tensorflow/tfjs-node (native). */
export type BackendName = 'wasm' | 'tensorflow';
export type BackendPreference = 'auto' | BackendName;

export interface FaceRuntime {
  faceapi: FaceApi;
  tf: Tf;
  backend: BackendName;
}

/** tfjs-node is an optionalDependency that fails to install where libtensorflow cannot be downloaded. */
export function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

export function faceApiVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a JSON file, read for its version only
  return (require('@vladmandic/face-api/package.json') as { version: string }).version;
}

export function faceApiModelDir(): string {
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/**
 * Loads face-api bound to the right TensorFlow.js backend. tfjs-node is only `require`d when it resolves, so a
 * machine without it never touches the native module. The WASM binaries are read from the package's own dist
 * folder: nothing is fetched from the network.
 */
export async function loadFaceRuntime(preference: BackendPreference = 'auto'): Promise<FaceRuntime> {
  const native = preference === 'tensorflow' || (preference === 'auto' && tfjsNodeInstalled());
  if (native) {
    // face-api.node.js requires @tensorflow/tfjs-node itself and registers the 'tensorflow' backend.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when tfjs-node is installed
    const faceapi = require('@vladmandic/face-api/dist/face-api.node.js') as FaceApi;
    await faceapi.tf.setBackend('tensorflow');
    await faceapi.tf.ready();
    return { faceapi, tf: faceapi.tf, backend: 'tensorflow' };
  }
  // Required lazily so that the native branch above never loads the WASM build (and the reverse).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(`${wasmDir}/`);
  if (!(await faceapi.tf.setBackend('wasm'))) throw new Error('TensorFlow.js WASM backend failed to initialise');
  await faceapi.tf.ready();
  return { faceapi, tf: faceapi.tf, backend: 'wasm' };
}

export async function loadFaceModels(faceapi: FaceApi, modelDir = faceApiModelDir()): Promise<void> {
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
}

/**
 * The `mobilefacenet` recipe's net: `model/fr_feature.onnx` of the npm package `faceplugin-face-recognition-js`
 * (MIT; provenance and measurements in docs/recognizer.md, "Descriptor recipes"). Only the model file is used.
 */
export function mobileFaceNetModelPath(): string {
  return join(dirname(require.resolve('faceplugin-face-recognition-js/package.json')), 'model', 'fr_feature.onnx');
}

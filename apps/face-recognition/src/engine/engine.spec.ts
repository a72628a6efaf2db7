import { describe, expect, it } from 'vitest';
import { createEngine, EngineLoaders, EngineName, EngineOptions, RecognitionEngine } from './engine';

function fakeEngine(name: EngineName): RecognitionEngine {
  return {
    name,
    faceApiVersion: '0',
    recipe: 'chip-flip',
    analyze: () => Promise.resolve({ width: 1, height: 1, faces: [], recipe: 'chip-flip' }),
    memory: () => ({ numTensors: 0, numBytes: 0, wasmHeapBytes: 0 }),
    dispose: () => Promise.resolve(),
  };
}

/** Loaders that record what was asked; ONNX Runtime "loads" or throws as told. */
function loaders(onnxLoads: boolean): EngineLoaders & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onnx: () => {
      calls.push('onnx');
      return onnxLoads ? Promise.resolve(fakeEngine('onnx')) : Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file'));
    },
    tfjs: (_options, backend) => {
      calls.push(`tfjs:${backend}`);
      return Promise.resolve(fakeEngine(backend === 'tensorflow' ? 'tensorflow' : 'wasm'));
    },
  };
}

const options = (engine: EngineOptions['engine']): EngineOptions => ({ engine, minScore: 0.5, threads: 1, recipe: 'chip-flip' });

describe('createEngine (FACE_ENGINE)', () => {
  it('auto runs ONNX Runtime where it loads, and loads nothing else', async () => {
    const load = loaders(true);
    const created = await createEngine(options('auto'), load);
    expect(created.engine.name).toBe('onnx');
    expect(created.fallbackReason).toBeUndefined();
    expect(load.calls).toEqual(['onnx']);
  });

  it('auto falls back to TensorFlow.js when ONNX Runtime does not load, and says why', async () => {
    const load = loaders(false);
    const created = await createEngine(options('auto'), load);
    expect(created.engine.name).toBe('wasm');
    expect(created.fallbackReason).toContain('cannot open shared object file');
    expect(load.calls).toEqual(['onnx', 'tfjs:auto']);
  });

  it('an explicit onnx that does not load fails instead of silently running another engine', async () => {
    const load = loaders(false);
    await expect(createEngine(options('onnx'), load)).rejects.toThrow('cannot open shared object file');
    expect(load.calls).toEqual(['onnx']);
  });

  it.each(['wasm', 'tensorflow'] as const)('%s never touches ONNX Runtime', async (engine) => {
    const load = loaders(true);
    const created = await createEngine(options(engine), load);
    expect(created.engine.name).toBe(engine);
    expect(load.calls).toEqual([`tfjs:${engine}`]);
  });
});

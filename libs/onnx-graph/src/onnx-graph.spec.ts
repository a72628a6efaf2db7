import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxGraph } from './onnx-graph';
import { loadOnnxRuntime, ORT_TELEMETRY_SWITCH } from './onnx-runtime';

async function run(graph: OnnxGraph, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(graph.encode(), { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('OnnxGraph', () => {
  it('encodes a model ONNX Runtime runs: float constants, int64 vectors, every attribute kind, a named batch dimension', async () => {
    const graph = new OnnxGraph('affine');
    const x = graph.input('x', ['batch', 3]);
    const scaled = graph.node(
      'Gemm',
      [x, graph.constant('w', [3, 2], Float32Array.of(1, 0, 0, 1, 1, 1)), graph.constant('b', [2], Float32Array.of(0.5, -0.5))],
      {
        alpha: { float: 2 },
        transB: 0,
      },
    );
    const flat = graph.node('Reshape', [scaled, graph.int64s('shape', [-1])]);
    graph.node('Pad', [flat, graph.int64s('pads', [1, 0])], { mode: 'constant' }, 'y');
    graph.output('y', ['padded']);
    const { y } = await run(graph, { x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]) });
    // [[1,2,3],[4,5,6]] · [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]; ×2, + [0.5,−0.5]; flattened; one 0 in front.
    expect(Array.from(y.data as Float32Array)).toEqual([0, 8.5, 9.5, 20.5, 21.5]);
  });

  it('encodes a node with several outputs, one of them int64', async () => {
    const graph = new OnnxGraph('top2');
    const x = graph.input('x', [1, 4]);
    graph.nodeWithOutputs('TopK', [x, graph.int64s('k', [2])], ['values', 'indices'], { axis: 1, largest: 0, sorted: 1 });
    graph.output('values', [1, 2]);
    graph.output('indices', [1, 2], 'int64');
    const { values, indices } = await run(graph, { x: new ort.Tensor('float32', Float32Array.of(3, -1, 7, 0), [1, 4]) });
    expect(Array.from(values.data as Float32Array)).toEqual([-1, 0]);
    expect(Array.from(indices.data as BigInt64Array)).toEqual([1n, 3n]);
  });

  it('refuses a constant whose values do not fill its dimensions', () => {
    expect(() => new OnnxGraph('bad').constant('w', [2, 2], new Float32Array(3))).toThrow('w: 3 values do not fill dims [2, 2]');
  });
});

describe('loadOnnxRuntime', () => {
  it('switches ONNX Runtime telemetry off before it hands out the runtime', async () => {
    delete process.env[ORT_TELEMETRY_SWITCH];
    const ort = await loadOnnxRuntime();
    expect(process.env[ORT_TELEMETRY_SWITCH]).toBe('1');
    expect(typeof ort.InferenceSession.create).toBe('function');
  });
});

describe("ONNX Runtime's native logger", () => {
  /** Runs test/native-log-child.ts: a session on a model ORT warns about; what reached stdout and stderr. */
  function runChild(mode: 'default' | 'quiet'): { stdout: string; stderr: string; status: number | null } {
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../test/native-log-child.ts'), mode], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { stdout: child.stdout, stderr: child.stderr, status: child.status };
  }

  it("writes nothing past the app's logger once loaded as the apps load it (its default writes colour-coded warnings to stderr)", () => {
    const loud = runChild('default');
    expect(loud.status, loud.stderr).toBe(0);
    expect(loud.stderr).toMatch(/\[W:onnxruntime:.*Removing initializer 'unused/);
    const quiet = runChild('quiet');
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('[0,1]');
    expect(quiet.stderr).toBe('');
  });
});

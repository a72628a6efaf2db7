import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { createFixtureDir, FixtureDir } from '../../../test/support/fixtures';
import { createFaceRecognitionApp, FaceRecognitionApp } from '../src';

/** `name{labels} value` of the recognizer's /metrics, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('recognizer /metrics (1 worker, default engine)', () => {
  let images: FixtureDir;
  let app: FaceRecognitionApp;
  let client: GrpcFaceAnalyzer;
  let metricsUrl: string;

  beforeAll(async () => {
    images = await createFixtureDir({ 'astronaut.png': 'astronaut.png', 'coffee.png': 'coffee.png' });
    app = await createFaceRecognitionApp(parseConfig({ IMAGES_ROOT: images.root, RECOGNIZER_WORKERS: '1', LOG_LEVEL: 'warn' }));
    const ports = await app.start({ grpcPort: 0, healthPort: 0, host: '127.0.0.1' });
    metricsUrl = `http://127.0.0.1:${ports.healthPort}/metrics`;
    client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${ports.grpcPort}`, deadlineMs: 60_000 });
    await app.ready();
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    images?.remove();
  });

  it('times each stage of every analysis, reports the pool idle afterwards and a busy share in 0..1', async () => {
    const before = await (await fetch(metricsUrl)).text();
    await client.analyze('astronaut.png');
    await client.analyze('coffee.png');
    const after = await (await fetch(metricsUrl)).text();
    for (const stage of ['decode', 'detect', 'describe']) {
      const count = `visage_recognizer_stage_seconds_count{stage="${stage}"}`;
      expect(sample(after, count) - sample(before, count), stage).toBe(2);
      const sum = `visage_recognizer_stage_seconds_sum{stage="${stage}"}`;
      expect(sample(after, sum) - sample(before, sum), stage).toBeGreaterThan(0);
    }
    expect(sample(after, 'visage_recognizer_queue_depth')).toBe(0);
    expect(sample(after, 'visage_recognizer_in_flight')).toBe(0);
    const busy = sample(after, 'visage_recognizer_worker_busy_ratio');
    expect(busy).toBeGreaterThan(0); // two analyses ran since the previous scrape
    expect(busy).toBeLessThanOrEqual(1);
    expect(after).not.toMatch(/astronaut|coffee/);
  });
});

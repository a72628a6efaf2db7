import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { createFixtureDir, FixtureDir } from '../../../test/support/fixtures';
import { metricValue } from '../../../test/support/prometheus';
import { createFaceRecognitionApp, FaceRecognitionApp } from '../src';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_ENV } from '../../../libs/recognizer-client/test/test-token';

describe('recognizer /metrics (1 worker, default engine)', () => {
  let images: FixtureDir;
  let app: FaceRecognitionApp;
  let client: GrpcFaceAnalyzer;
  let metricsUrl: string;

  beforeAll(async () => {
    images = await createFixtureDir({ 'astronaut.png': 'astronaut.png', 'coffee.png': 'coffee.png' });
    app = await createFaceRecognitionApp(
      parseConfig({ IMAGES_ROOT: images.root, RECOGNIZER_WORKERS: '1', LOG_LEVEL: 'warn', ...TEST_RECOGNIZER_ENV }),
    );
    const ports = await app.start({ grpcPort: 0, healthPort: 0, host: '127.0.0.1' });
    metricsUrl = `http://127.0.0.1:${ports.healthPort}/metrics`;
    client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${ports.grpcPort}`, deadlineMs: 60_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
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
    for (const stage of ['decode', 'detect', 'landmarks', 'describe']) {
      const delta = (series: string) => metricValue(after, series, { stage }) - metricValue(before, series, { stage });
      expect(delta('visage_recognizer_stage_seconds_count'), stage).toBe(2);
      expect(delta('visage_recognizer_stage_seconds_sum'), stage).toBeGreaterThan(0);
    }
    expect(metricValue(after, 'visage_recognizer_queue_depth')).toBe(0);
    expect(metricValue(after, 'visage_recognizer_in_flight')).toBe(0);
    const busy = metricValue(after, 'visage_recognizer_worker_busy_ratio');
    expect(busy).toBeGreaterThan(0); // two analyses ran since the previous scrape
    expect(busy).toBeLessThanOrEqual(1);
    expect(after).not.toMatch(/astronaut|coffee/);
  });
});

import { Controller, Get, INestApplication, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics, trackWorkerPool } from './metrics';
import { ObservabilityModule } from './observability.module';

@Controller('things')
class ThingsController {
  @Get(':name')
  one(@Param('name') name: string): { name: string } {
    return { name };
  }
}

describe('ObservabilityModule', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ObservabilityModule.forRoot({ app: 'spec-app' })],
      controllers: [ThingsController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('labels requests with the route template and the status, never the raw path', async () => {
    await request(app.getHttpServer()).get('/things/alice-private').expect(200);
    await request(app.getHttpServer()).get('/nowhere/bob-private').expect(404);
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(text).toContain('visage_http_requests_total{app="spec-app",route="/things/:name",method="GET",status="200"} 1');
    expect(text).toContain('visage_http_requests_total{app="spec-app",route="unmatched",method="GET",status="404"} 1');
    expect(text).toMatch(/visage_http_request_duration_seconds_count\{app="spec-app",route="\/things\/:name",method="GET"\} 1/);
    expect(text).not.toMatch(/alice-private|bob-private/);
  });

  it('reads a tracked worker pool at scrape time: queue depth, in flight, busy share since the last scrape', async () => {
    const pool = { queued: 3, running: 2, size: 4, busyMs: 0 };
    const untrack = trackWorkerPool(pool);
    try {
      await metrics.recognizerBusyRatio.get(); // starts the interval
      pool.busyMs = 1e9; // more than the interval could hold: capped at 1
      expect((await metrics.recognizerQueueDepth.get()).values[0].value).toBe(3);
      expect((await metrics.recognizerInFlight.get()).values[0].value).toBe(2);
      expect((await metrics.recognizerBusyRatio.get()).values[0].value).toBe(1);
      expect((await metrics.recognizerBusyRatio.get()).values[0].value).toBe(0); // nothing more since
    } finally {
      untrack();
    }
    expect((await metrics.recognizerQueueDepth.get()).values[0].value).toBe(0);
  });
});

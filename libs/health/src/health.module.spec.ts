import { INestApplication } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthModule } from './health.module';
import { readinessCheck } from './readiness';

class FakeDependency {
  healthy = true;
}

describe('HealthModule', () => {
  let app: INestApplication;
  const dependency = new FakeDependency();

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        {
          module: class FakeDependencyModule {},
          global: true,
          providers: [{ provide: FakeDependency, useValue: dependency }, HealthIndicatorService],
          exports: [FakeDependency, HealthIndicatorService],
        },
        HealthModule.forRoot({
          inject: [FakeDependency, HealthIndicatorService],
          useFactory: (dep: FakeDependency, indicators: HealthIndicatorService) => [
            async () => (dep.healthy ? indicators.check('fake').up() : indicators.check('fake').down({ reason: 'off' })),
          ],
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('live answers without checking dependencies', async () => {
    dependency.healthy = false;
    await request(app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
  });

  it('ready reports 200 when every check is up and 503 naming the one that is down', async () => {
    dependency.healthy = true;
    const up = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(up.body.info.fake.status).toBe('up');
    dependency.healthy = false;
    const down = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(down.body.error.fake).toEqual({ status: 'down', reason: 'off' });
  });

  it('readinessCheck reports a probe that throws or does not answer in time as down, with the reason', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot(
          readinessCheck('broken', [], () => {
            throw new Error('connection refused');
          }),
          readinessCheck('silent', [], () => new Promise(() => undefined), 20),
          readinessCheck('fine', [], () => ({ up: true, details: { version: 3 } })),
        ),
      ],
    }).compile();
    const probes = moduleRef.createNestApplication({ logger: false });
    await probes.init();
    try {
      const response = await request(probes.getHttpServer()).get('/health/ready').expect(503);
      expect(response.body.error.broken).toEqual({ status: 'down', reason: 'connection refused' });
      expect(response.body.error.silent).toEqual({ status: 'down', reason: 'no answer within 20 ms' });
      expect(response.body.info.fine).toEqual({ status: 'up', version: 3 });
    } finally {
      await probes.close();
    }
  });
});

import { INestApplication, Logger } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { FaceEntity, ImageEntity, PersonEntity } from '@visage/persistence';
import { MARIADB_DRIVER, MigratedTestDatabase, openTestDatabase } from '../../../libs/persistence/test/test-databases';
import {
  corrupt,
  facesFromPath,
  FakeBroker,
  FakeFaceAnalyzer,
  FakeMatcher,
  FakeQueueClient,
  FakeQueueServer,
  unavailable,
} from '../test/fakes';
import { RecognizerBreaker } from './breaker/recognizer-breaker';
import { createImageProcessorApp } from './image-processor.app';
import { deadLetterPattern } from '@visage/queue';

const MAX_ATTEMPTS = 5;

/** Polls a condition (no timing assertion: only a generous upper bound so a bug fails instead of hanging). */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Replica {
  app: INestApplication;
  server: FakeQueueServer;
  analyzer: FakeFaceAnalyzer;
  breaker: RecognizerBreaker;
}

describe('image processor app: two replicas on one queue and one MariaDB', () => {
  let scratch: MigratedTestDatabase;
  let dataSource: DataSource;
  let broker: FakeBroker;
  let client: FakeQueueClient;
  let replicas: Replica[] = [];
  let ada: number;
  let grace: number;
  let counter = 0;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    scratch = await openTestDatabase(MARIADB_DRIVER, 'visage_processor_app');
    dataSource = scratch.dataSource;
    ada = (await dataSource.getRepository(PersonEntity).save({ name: 'Ada' })).id;
    grace = (await dataSource.getRepository(PersonEntity).save({ name: 'Grace' })).id;
    broker = new FakeBroker({ maxInFlight: 4, maxAttempts: MAX_ATTEMPTS, maxDelayMs: 30 });
    client = new FakeQueueClient(broker);
    const config = parseConfig({
      DATABASE_URL: scratch.url,
      MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      BREAKER_FAILURE_THRESHOLD: '5',
      BREAKER_PROBE_INITIAL_MS: '20',
      BREAKER_PROBE_MAX_MS: '80',
    });
    const matcher = new FakeMatcher(
      new Map([
        [ada, 'Ada'],
        [grace, 'Grace'],
      ]),
    );
    for (const name of ['a', 'b']) {
      const server = new FakeQueueServer(broker);
      const analyzer = new FakeFaceAnalyzer(facesFromPath);
      const app = await createImageProcessorApp(config, {
        consumer: server,
        queueClient: client,
        faceAnalyzer: analyzer,
        faceMatcher: matcher,
        instanceId: `replica-${name}`,
        scheduleRetryJob: false,
        logger: false,
      });
      replicas.push({ app, server, analyzer, breaker: app.get(RecognizerBreaker) });
    }
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.app.close();
    replicas = [];
    await scratch?.close();
  });

  beforeEach(() => {
    for (const replica of replicas) {
      replica.analyzer.behaviour = facesFromPath;
      replica.analyzer.serving = true;
      replica.analyzer.analyzeCalls = [];
    }
  });

  async function insertImages(persons: Array<number[] | 'corrupt'>): Promise<number[]> {
    const rows = persons.map((faces) => ({
      path: faces === 'corrupt' ? `broken/${++counter}.jpg` : `${++counter}/faces/${faces.join('-')}.jpg`,
      status: 'pending' as const,
    }));
    const saved = await dataSource.getRepository(ImageEntity).save(rows);
    return saved.map((image) => image.id);
  }

  const allCalls = () => replicas.flatMap((replica) => replica.analyzer.analyzeCalls);
  const rowsOf = (ids: number[]) => dataSource.getRepository(ImageEntity).createQueryBuilder('i').where('i.id IN (:...ids)', { ids }).getMany();
  const facesPerImage = async (ids: number[]) => {
    const rows = await dataSource
      .getRepository(FaceEntity)
      .createQueryBuilder('f')
      .select('f.image_id', 'imageId')
      .addSelect('COUNT(*)', 'faces')
      .where('f.image_id IN (:...ids)', { ids })
      .groupBy('f.image_id')
      .getRawMany<{ imageId: number; faces: string }>();
    return new Map(rows.map((row) => [Number(row.imageId), Number(row.faces)]));
  };

  it('200 images shared by two replicas: each analyzed and stored exactly once', async () => {
    const persons = Array.from({ length: 200 }, (_, index) => [[ada], [grace], [0], [], [ada, 0]][index % 5]);
    const ids = await insertImages(persons);
    await Promise.all(ids.map((imageId) => lastValueFrom(client.emit('images', { imageId }), { defaultValue: undefined })));
    await broker.idle();

    const calls = allCalls();
    expect(calls).toHaveLength(200);
    expect(new Set(calls.map((call) => call.path)).size).toBe(200);
    for (const replica of replicas) expect(replica.analyzer.analyzeCalls.length).toBeGreaterThan(0);

    const rows = await rowsOf(ids);
    const byStatus = rows.reduce<Record<string, number>>((counts, row) => ({ ...counts, [row.status]: (counts[row.status] ?? 0) + 1 }), {});
    expect(byStatus).toEqual({ processed: 120, unrecognized: 80 });
    const faces = await facesPerImage(ids);
    ids.forEach((id, index) => expect(faces.get(id) ?? 0).toBe(persons[index].length));
  });

  it('the same message delivered several times (to both replicas) → one outcome', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    for (const replica of replicas) {
      replica.analyzer.behaviour = async (path) => {
        await gate;
        return facesFromPath(path);
      };
    }
    const [id] = await insertImages([[ada]]);
    for (let copy = 0; copy < 4; copy++) broker.publish('images', { imageId: id });
    await until(() => allCalls().length === 1, 'the first analysis to start');
    release();
    await broker.idle();
    expect(allCalls()).toHaveLength(1);
    expect((await rowsOf([id]))[0].status).toBe('processed');
    expect((await facesPerImage([id])).get(id)).toBe(1);
  });

  it('acknowledges an undecodable message instead of redelivering it', async () => {
    const before = broker.log.length;
    broker.publish('images', { hello: 'world' });
    await broker.idle();
    expect(broker.log.slice(before)).toEqual([{ imageData: { hello: 'world' }, outcome: 'fin' }]);
    expect(allCalls()).toHaveLength(0);
  });

  it('a corrupt file → failed, not retried; a transient error → requeued and processed', async () => {
    for (const replica of replicas) {
      let failuresLeft = 2;
      replica.analyzer.behaviour = async (path) => {
        if (path.startsWith('broken/')) return corrupt(path);
        if (path.endsWith(`/faces/${grace}.jpg`) && failuresLeft-- > 0) return unavailable(path);
        return facesFromPath(path);
      };
    }
    const [broken, flaky] = await insertImages(['corrupt', [grace]]);
    broker.publish('images', { imageId: broken });
    broker.publish('images', { imageId: flaky });
    await broker.idle();

    const [brokenRow, flakyRow] = (await rowsOf([broken, flaky])).sort((x, y) => x.id - y.id);
    expect(brokenRow).toMatchObject({ status: 'failed', permanentFailure: true, attempts: 1 });
    expect(allCalls().filter((call) => call.path.startsWith('broken/'))).toHaveLength(1);
    expect(flakyRow.status).toBe('processed');
    expect(flakyRow.attempts).toBeGreaterThanOrEqual(1);
    const outcomes = broker.log.filter((entry) => (entry.imageData as { imageId: number }).imageId === flaky).map((entry) => entry.outcome);
    expect(outcomes).toContain('req');
    expect(outcomes.at(-1)).toBe('fin');
  });

  it('a dead letter marks the image failed with the reason', async () => {
    const [id] = await insertImages([[ada]]);
    await replicas[0].server.handle(
      deadLetterPattern('images'),
      { data: { imageId: id }, error: 'UNAVAILABLE', attempts: MAX_ATTEMPTS },
      { id: 'x', topic: 'images', channel: 'test', attempts: MAX_ATTEMPTS, timestamp: Date.now() },
    );
    expect((await rowsOf([id]))[0]).toMatchObject({ status: 'failed', lastError: `gave up after ${MAX_ATTEMPTS} deliveries: UNAVAILABLE` });
  });

  it('recognizer down → circuits open, consumers paused, images wait; back → circuits close and every image finishes once', async () => {
    for (const replica of replicas) {
      replica.analyzer.behaviour = unavailable;
      replica.analyzer.serving = false;
    }
    const ids = await insertImages(Array.from({ length: 30 }, () => [ada]));
    for (const imageId of ids) broker.publish('images', { imageId });
    await until(() => replicas.every((replica) => !replica.breaker.isClosed), 'both circuits to open');
    await until(() => replicas.every((replica) => replica.analyzer.probeCalls >= 2), 'two health probes each');

    for (const replica of replicas) expect(replica.server.paused).toBe(true);
    const callsWhileOpen = allCalls().length;
    await until(() => replicas.every((replica) => replica.analyzer.probeCalls >= 4), 'more probes');
    expect(allCalls().length).toBe(callsWhileOpen);

    const ready = await request(replicas[0].app.getHttpServer()).get('/health/ready').expect(503);
    expect(ready.body.error.recognizer_circuit.state).toMatch(/^(open|half_open)$/);
    expect(ready.body.info.database.status).toBe('up');

    const waiting = await rowsOf(ids);
    expect(waiting.every((row) => row.status === 'pending' || (row.status === 'failed' && row.attempts < MAX_ATTEMPTS))).toBe(true);
    expect(broker.log.some((entry) => entry.outcome === 'dead')).toBe(false);
    // Messages caught while the circuit opened came back as deferrals (requeued, attempt not counted).
    expect(broker.log.some((entry) => entry.outcome === 'defer')).toBe(true);

    for (const replica of replicas) {
      replica.analyzer.behaviour = facesFromPath;
      replica.analyzer.serving = true;
    }
    await until(() => replicas.every((replica) => replica.breaker.isClosed), 'both circuits to close');
    await broker.idle();
    for (const replica of replicas) expect(replica.server.resumes).toBeGreaterThanOrEqual(1);

    const finished = await rowsOf(ids);
    expect(finished.map((row) => row.status)).toEqual(ids.map(() => 'processed'));
    const faces = await facesPerImage(ids);
    for (const id of ids) expect(faces.get(id)).toBe(1);
    await request(replicas[0].app.getHttpServer()).get('/health/ready').expect(200);
  });

  it('readiness names a disconnected queue; liveness checks nothing', async () => {
    replicas[1].server.connected = false;
    try {
      const response = await request(replicas[1].app.getHttpServer()).get('/health/ready').expect(503);
      expect(response.body.error.queue.status).toBe('down');
      await request(replicas[1].app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
    } finally {
      replicas[1].server.connected = true;
    }
  });
});

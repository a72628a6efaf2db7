import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication, Logger } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '@visage/config';
import { FaceEntity, ImageEntity, PersonEntity } from '@visage/persistence';
import { MARIADB_DRIVER, MigratedTestDatabase, openTestDatabase } from '../../../libs/persistence/test/test-databases';
import { FakeMatcher } from './fakes';
import { RecognizerBreaker } from '../src/breaker/recognizer-breaker';
import { Test } from '@nestjs/testing';
import { processorNestOptions, startImageProcessorApp } from '../src/image-processor.app';
import { ImageProcessorModule } from '../src/image-processor.module';
import { FACE_ANALYZER, FACE_MATCHER, QUEUE_CONSUMER } from '../src/image-processor.tokens';
import { ClientProxy } from '@nestjs/microservices';
import { deadLetterPattern, InProcessBroker, InProcessServer, QUEUE_CLIENT, QueueContext } from '@visage/queue';
import { FakeFaceAnalyzer, corrupt, facesFromPath, unavailable } from '../../../test/support/fake-face-analyzer';
import { until } from '../../../test/support/until';

const MAX_ATTEMPTS = 5;

interface Replica {
  app: INestApplication;
  /** The replica's real in-process consumer; both replicas share the process's broker and channel. */
  server: InProcessServer;
  analyzer: FakeFaceAnalyzer;
  breaker: RecognizerBreaker;
}

const TOPIC = 'images';
const CHANNEL = 'image-processor';

describe('image processor app: two replicas on one in-process queue and one MariaDB', () => {
  let scratch: MigratedTestDatabase;
  let imagesRoot: string | undefined;
  let dataSource: DataSource;
  const broker = InProcessBroker.shared();
  let client: ClientProxy;
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
    imagesRoot = mkdtempSync(join(tmpdir(), 'visage-processor-app-'));
    const config = parseConfig({
      DATABASE_URL: scratch.url,
      // An empty images root: the processor enrols KNOWN_FACES_DIR at start, and there is nothing to enrol here.
      IMAGES_ROOT: imagesRoot,
      MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      BREAKER_FAILURE_THRESHOLD: '5',
      BREAKER_PROBE_INITIAL_MS: '20',
      BREAKER_PROBE_MAX_MS: '80',
      // Production backoffs scaled down, so a requeued message comes back at once.
      QUEUE_REQUEUE_BASE_DELAY_MS: '5',
      QUEUE_REQUEUE_MAX_DELAY_MS: '30',
      QUEUE_TOPIC: TOPIC,
      QUEUE_CHANNEL: CHANNEL,
    });
    const matcher = new FakeMatcher(
      new Map([
        [ada, 'Ada'],
        [grace, 'Grace'],
      ]),
    );
    for (const name of ['a', 'b']) {
      const analyzer = new FakeFaceAnalyzer(facesFromPath);
      const moduleRef = await Test.createTestingModule({
        imports: [ImageProcessorModule.forRoot({ config, instanceId: `replica-${name}`, scheduleRetryJob: false })],
      })
        .overrideProvider(FACE_ANALYZER)
        .useValue(analyzer)
        .overrideProvider(FACE_MATCHER)
        .useValue(matcher)
        .compile();
      const app = await startImageProcessorApp(moduleRef.createNestApplication(processorNestOptions(config, { logger: false })));
      replicas.push({ app, server: app.get<InProcessServer>(QUEUE_CONSUMER), analyzer, breaker: app.get(RecognizerBreaker) });
      client = app.get<ClientProxy>(QUEUE_CLIENT);
    }
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.app.close();
    replicas = [];
    await scratch?.close();
    if (imagesRoot) rmSync(imagesRoot, { recursive: true, force: true });
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

  const publish = (data: unknown) => lastValueFrom(client.emit(TOPIC, data), { defaultValue: undefined });
  /** Every message answered: nothing ready, deferred or in flight on the channel. */
  const idle = () =>
    until(() => broker.depth(TOPIC, CHANNEL) === 0 && replicas.every((replica) => replica.server.inFlightCount === 0), 'the queue to drain');

  it('200 images shared by two replicas: each analyzed and stored exactly once', async () => {
    const persons = Array.from({ length: 200 }, (_, index) => [[ada], [grace], [0], [], [ada, 0]][index % 5]);
    const ids = await insertImages(persons);
    await Promise.all(ids.map((imageId) => publish({ imageId })));
    await idle();

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
    for (let copy = 0; copy < 4; copy++) await publish({ imageId: id });
    await until(() => allCalls().length === 1, 'the first analysis to start');
    release();
    await idle();
    expect(allCalls()).toHaveLength(1);
    expect((await rowsOf([id]))[0].status).toBe('processed');
    expect((await facesPerImage([id])).get(id)).toBe(1);
  });

  it('acknowledges an undecodable message instead of redelivering it', async () => {
    // Every delivery of the channel goes through the server's deliver().
    const handled = replicas.map((replica) => vi.spyOn(replica.server as unknown as { deliver(delivery: unknown): Promise<unknown> }, 'deliver'));
    await publish({ hello: 'world' });
    await until(() => handled.some((spy) => spy.mock.calls.length > 0), 'the message to be delivered');
    await idle();
    // Delivered once and finished: nothing waits for a redelivery.
    expect(handled.reduce((sum, spy) => sum + spy.mock.calls.length, 0)).toBe(1);
    expect(allCalls()).toHaveLength(0);
    for (const spy of handled) spy.mockRestore();
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
    await publish({ imageId: broken });
    await publish({ imageId: flaky });
    await idle();

    const [brokenRow, flakyRow] = (await rowsOf([broken, flaky])).sort((x, y) => x.id - y.id);
    expect(brokenRow).toMatchObject({ status: 'failed', permanentFailure: true, attempts: 1 });
    expect(allCalls().filter((call) => call.path.startsWith('broken/'))).toHaveLength(1);
    expect(flakyRow.status).toBe('processed');
    expect(flakyRow.attempts).toBeGreaterThanOrEqual(1);
    // Requeued after each transient failure (each counted as an attempt), then finished by one more analysis.
    const flakyCalls = allCalls().filter((call) => call.path.endsWith(`/faces/${grace}.jpg`));
    expect(flakyCalls).toHaveLength(flakyRow.attempts + 1);
    expect(broker.depth(TOPIC, CHANNEL)).toBe(0);
  });

  it('a dead letter marks the image failed with the reason', async () => {
    const [id] = await insertImages([[ada]]);
    const deadLetter = replicas[0].server.getHandlerByPattern(deadLetterPattern(TOPIC));
    expect(deadLetter).toBeDefined();
    await deadLetter!(
      { data: { imageId: id }, error: 'UNAVAILABLE', attempts: MAX_ATTEMPTS },
      new QueueContext([{ id: 'x', topic: TOPIC, channel: CHANNEL, attempts: MAX_ATTEMPTS, timestamp: Date.now() }, () => undefined]),
    );
    expect((await rowsOf([id]))[0]).toMatchObject({ status: 'failed', lastError: `gave up after ${MAX_ATTEMPTS} deliveries: UNAVAILABLE` });
  });

  it('recognizer down → circuits open, consumers paused, images wait; back → circuits close and every image finishes once', async () => {
    for (const replica of replicas) {
      replica.analyzer.behaviour = unavailable;
      replica.analyzer.serving = false;
    }
    const ids = await insertImages(Array.from({ length: 30 }, () => [ada]));
    for (const imageId of ids) await publish({ imageId });
    await until(() => replicas.every((replica) => !replica.breaker.isClosed), 'both circuits to open');
    await until(() => replicas.every((replica) => replica.analyzer.probeCalls >= 2), 'two health probes each');

    for (const replica of replicas) expect(replica.server.isPaused()).toBe(true);
    const callsWhileOpen = allCalls().length;
    await until(() => replicas.every((replica) => replica.analyzer.probeCalls >= 4), 'more probes');
    expect(allCalls().length).toBe(callsWhileOpen);

    const ready = await request(replicas[0].app.getHttpServer()).get('/health/ready').expect(503);
    expect(ready.body.error.recognizer_circuit.state).toMatch(/^(open|half_open)$/);
    expect(ready.body.info.database.status).toBe('up');

    const waiting = await rowsOf(ids);
    // Waiting for the recognizer is never shown as failed: pending, or retrying with attempts left.
    expect(waiting.map((row) => row.status).filter((status) => status !== 'pending' && status !== 'retrying')).toEqual([]);
    expect(waiting.every((row) => row.attempts < MAX_ATTEMPTS)).toBe(true);
    expect(waiting.some((row) => row.lastError?.startsWith('gave up'))).toBe(false);
    // Messages caught while the circuit opened wait as deferrals (attempt not counted) until the next probe.
    expect(broker.channel(TOPIC, CHANNEL).deferredCount).toBeGreaterThan(0);

    for (const replica of replicas) {
      replica.analyzer.behaviour = facesFromPath;
      replica.analyzer.serving = true;
    }
    await until(() => replicas.every((replica) => replica.breaker.isClosed), 'both circuits to close');
    await idle();
    for (const replica of replicas) expect(replica.server.isPaused()).toBe(false);

    const finished = await rowsOf(ids);
    expect(finished.map((row) => row.status)).toEqual(ids.map(() => 'processed'));
    const faces = await facesPerImage(ids);
    for (const id of ids) expect(faces.get(id)).toBe(1);
    await request(replicas[0].app.getHttpServer()).get('/health/ready').expect(200);
  });

  it('readiness names a disconnected queue; liveness checks nothing', async () => {
    const disconnected = vi.spyOn(replicas[1].server, 'isConnected').mockReturnValue(false);
    try {
      const response = await request(replicas[1].app.getHttpServer()).get('/health/ready').expect(503);
      expect(response.body.error.queue.status).toBe('down');
      await request(replicas[1].app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
    } finally {
      disconnected.mockRestore();
    }
  });
});

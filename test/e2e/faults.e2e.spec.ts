/**
 * Fault tests on the distributed stack: a MariaDB scratch database, the NSQ test server (nsqd), the real
 * receiver and real image processors (NSQ transport, gRPC client, breaker, leases), and the recognizer DOUBLE
 * from the harness (same proto + gRPC health, one synthetic face per image, counts its calls) — except the one
 * test marked REAL, which restarts the real recognizer. The faults are about delivery and state, not pixels, so
 * the double keeps the CPU free and lets each test count analyses per image. Every test ends with the same check: every image reached an outcome (none lost), with exactly
 * one set of faces and, where the recognizer could see it, one analysis (none processed twice).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { INestApplication, Logger } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, VisageConfig } from '@visage/config';
import { createFaceRecognitionApp, FaceRecognitionApp } from '../../apps/face-recognition/src/face-recognition.app';
import { createImageProcessorApp } from '../../apps/image-processor/src/image-processor.app';
import { RetryJob } from '../../apps/image-processor/src/retry/retry.job';
import { createReceiverApp } from '../../apps/receiver/src/receiver.app';
import { adminConnection, createScratchMysqlDatabase, openMigrated, TestDatabase } from '../../libs/persistence/test/test-databases';
import { ImageEntity } from '@visage/persistence';
import { NsqTestServer } from '../nsq/nsq-test-server';
import { CommittedFixture } from '../support/fixtures';
import {
  baseUrl,
  createImagesRoot,
  DatabaseProbe,
  FINAL_STATUSES,
  http,
  ImageRow,
  ImagesRoot,
  ReceiverClient,
  RecognizerDouble,
  withEphemeralPorts,
} from './harness';
import { TEST_AUTH_ENV } from '../../libs/auth/test/test-keys';
import { PROCESSOR_READY_MARKER } from './processor-process';
import { TEST_RECOGNIZER_ENV } from '../../libs/recognizer-client/test/test-token';
import { sleep, until } from '../support/until';

const TOPIC = 'images';
const CHANNEL = 'image-processor';
const REPO_ROOT = resolve(__dirname, '../..');
/** The acceptance bound: every image final this long after the failed part is back. */
const RECOVERY_BOUND_MS = 15_000;

/** A processor (with a receiver beside it when E2E_WITH_RECEIVER=1) in its own process, for a real crash. */
async function spawnProcessorProcess(env: Record<string, string>, instanceId: string): Promise<{ child: ChildProcess; receiverPort?: number }> {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/vite-node/vite-node.mjs'), '-c', 'vitest.config.ts', 'test/e2e/processor-process.ts'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, E2E_PROCESSOR_CHILD: '1', E2E_INSTANCE_ID: instanceId },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const line = await until(
      () => {
        if (child.exitCode !== null) throw new Error(`processor process exited ${child.exitCode}: ${output}`);
        return output.split('\n').find((entry) => entry.startsWith(PROCESSOR_READY_MARKER));
      },
      'the processor process to start',
      90_000,
    );
    const { receiverPort } = JSON.parse(line.slice(PROCESSOR_READY_MARKER.length)) as { receiverPort?: number };
    return { child, receiverPort };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** Posts one image every `everyMs` until stopped; returns every id accepted. Posts the receiver refuses (it is down) are retried. */
function streamImages(post: () => Promise<number | undefined>, everyMs: number): { stop(): Promise<number[]> } {
  const ids: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const id = await post().catch(() => undefined);
      if (id !== undefined) ids.push(id);
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return ids;
    },
  };
}

/** Small delays everywhere so recovery happens within seconds; none of them is asserted. */
const FAST_ENV: Record<string, string> = {
  ...TEST_RECOGNIZER_ENV,
  ...TEST_AUTH_ENV,
  LOG_LEVEL: 'error',
  QUEUE_REQUEUE_BASE_DELAY_MS: '200',
  QUEUE_REQUEUE_MAX_DELAY_MS: '1000',
  QUEUE_CLOSE_TIMEOUT_MS: '2000',
  BREAKER_PROBE_INITIAL_MS: '300',
  BREAKER_PROBE_MAX_MS: '1000',
  FACE_RECOGNITION_DEADLINE_MS: '10000',
};

class FaultStack {
  readonly processors: INestApplication[] = [];
  private readonly children: ChildProcess[] = [];
  receiverApp?: INestApplication;
  receiver!: ReceiverClient;
  config!: VisageConfig;
  probe!: DatabaseProbe;

  private constructor(
    readonly database: TestDatabase,
    readonly nsqd: NsqTestServer,
    readonly recognizer: RecognizerDouble,
    readonly images: ImagesRoot,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<FaultStack> {
    Logger.overrideLogger(['error']);
    const database = await createScratchMysqlDatabase('visage_e2e_faults');
    const stack = new FaultStack(database, await NsqTestServer.start(), await RecognizerDouble.start(), createImagesRoot('visage-e2e-faults-'));
    mkdirSync(join(stack.images.root, 'known'), { recursive: true });
    stack.config = withEphemeralPorts(parseConfig({ ...stack.env(), ...env }));
    // The receiver migrates the scratch database at boot; the probe reads it afterwards.
    stack.receiverApp = await createReceiverApp(stack.config);
    await stack.receiverApp.listen(0, '127.0.0.1');
    stack.receiver = new ReceiverClient(baseUrl(stack.receiverApp));
    stack.probe = await DatabaseProbe.open(database.config);
    return stack;
  }

  /** The environment a processor of this stack runs with (also handed to child processes). */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      ...FAST_ENV,
      DATABASE_URL: this.database.url,
      NSQD_TCP_ADDRESSES: this.nsqd.tcpAddress,
      NSQD_TCP_ADDRESS: this.nsqd.tcpAddress,
      NSQD_HTTP_ADDRESS: this.nsqd.httpAddress,
      FACE_RECOGNITION_ADDRESS: this.recognizer.address,
      IMAGES_ROOT: this.images.root,
      ...overrides,
    };
  }

  async startProcessor(instanceId: string, env: Record<string, string> = {}, { retryJob = false } = {}): Promise<INestApplication> {
    const config = withEphemeralPorts(parseConfig(this.env(env)));
    const app = await createImageProcessorApp(config, { instanceId, scheduleRetryJob: retryJob, logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    this.processors.push(app);
    await until(() => this.subscribers() >= this.processors.length, `processor ${instanceId} to subscribe`, 30_000);
    return app;
  }

  /** A processor in its own process (see processor-process.ts), for a real crash. */
  async startProcessorProcess(instanceId: string, env: Record<string, string> = {}): Promise<ChildProcess> {
    const { child } = await spawnProcessorProcess(this.env(env), instanceId);
    this.children.push(child);
    return child;
  }

  subscribers(): number {
    return this.nsqd.channelStats(TOPIC, CHANNEL)?.clients.length ?? 0;
  }

  channel() {
    const stats = this.nsqd.channelStats(TOPIC, CHANNEL);
    if (!stats) throw new Error('no channel yet');
    return stats;
  }

  /** Copies one small file under each name (the double does not read pixels; the receiver checks the file exists). */
  files(names: string[], source: CommittedFixture = 'camera.png'): string[] {
    return names.map((name) => this.images.copy(source, name));
  }

  async allFinal(ids: number[], timeoutMs = 90_000): Promise<ImageRow[]> {
    return this.untilAllFinal(ids, timeoutMs).catch(async (error: unknown) => {
      const waiting = (await this.probe.images()).filter((row) => ids.includes(row.id) && !this.isFinal(row));
      throw new Error(`${String(error)}; not final: ${JSON.stringify(waiting.slice(0, 10))}`);
    });
  }

  private untilAllFinal(ids: number[], timeoutMs: number): Promise<ImageRow[]> {
    return until(
      async () => {
        const rows = (await this.probe.images()).filter((row) => ids.includes(row.id));
        return rows.length === ids.length && rows.every((row) => this.isFinal(row)) ? rows : undefined;
      },
      `${ids.length} images to reach an outcome`,
      timeoutMs,
      200,
    );
  }

  /** An outcome nothing will change: processed/unrecognized, or failed for good (a retryable failure is REQueued). */
  isFinal(row: ImageRow): boolean {
    if (row.status === 'failed') return row.permanentFailure || row.attempts >= this.config.MAX_ATTEMPTS;
    return FINAL_STATUSES.includes(row.status);
  }

  /** None lost, none processed twice: every image has an outcome, one face row (the double's one face) and one analysis. */
  async expectEachOnce(ids: number[], { analysesPerImage = 1 }: { analysesPerImage?: number } = {}): Promise<ImageRow[]> {
    const rows = await this.allFinal(ids);
    expect(rows.map((row) => row.status)).toEqual(ids.map(() => 'unrecognized'));
    expect(rows.map((row) => row.faceRows)).toEqual(ids.map(() => 1));
    expect(rows.map((row) => this.recognizer.callsFor(row.path))).toEqual(ids.map(() => analysesPerImage));
    return rows;
  }

  async close(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const app of this.processors.reverse()) await app.close().catch(() => undefined);
    await this.receiverApp?.close().catch(() => undefined);
    this.recognizer.stop();
    await this.nsqd.stop();
    await this.probe?.close();
    await this.database.drop();
    this.images.remove();
  }
}

async function readiness(app: INestApplication): Promise<{ status: number; circuit?: { status: string; state?: string } }> {
  const reply = await http<{ info?: Record<string, { status: string; state?: string }>; error?: Record<string, { status: string; state?: string }> }>(
    'GET',
    `${baseUrl(app)}/health/ready`,
  );
  const circuit = reply.body?.error?.recognizer_circuit ?? reply.body?.info?.recognizer_circuit;
  return { status: reply.status, circuit };
}

describe('faults: MariaDB + NSQ test server + real receiver and processors', () => {
  let stack: FaultStack | undefined;

  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  const spentAttempts = async () => (await stack!.probe.images()).reduce((sum, row) => sum + row.attempts, 0);

  it('recognizer stopped: the breaker opens after 5 failures, new images wait pending, all finish once it is back', async () => {
    // One message at a time, so exactly BREAKER_FAILURE_THRESHOLD calls fail before the circuit opens.
    const env = { QUEUE_MAX_IN_FLIGHT: '1', BREAKER_FAILURE_THRESHOLD: '5', MAX_ATTEMPTS: '10' };
    stack = await FaultStack.start(env);
    const processor = await stack.startProcessor('p1', env);
    stack.recognizer.stop();

    const first = await stack.receiver.postMany(stack.files(['down/a1.jpg', 'down/a2.jpg', 'down/a3.jpg']));
    await until(async () => (await readiness(processor)).circuit?.state === 'open', 'the circuit to open', 30_000);
    const ready = await readiness(processor);
    expect(ready.status).toBe(503);
    // The breaker opens as the 5th call fails, a moment before that attempt is written: wait for the write.
    // Every transient failure spent one attempt; the final checks below catch any attempt past the 5th.
    await until(async () => (await spentAttempts()) === 5, 'the 5 failed calls to be written as attempts', 10_000);

    // While it is open nothing reaches the recognizer and new images keep their attempts.
    const second = await stack.receiver.postMany(stack.files(['down/b1.jpg', 'down/b2.jpg', 'down/b3.jpg']));
    await until(() => stack!.channel().message_count >= 6, 'the new messages to reach nsqd', 10_000);
    await sleep(2_500); // several probe cycles (300 ms doubling to 1 s): the state must not move meanwhile
    const waiting = (await stack.probe.images()).filter((row) => second.includes(row.id));
    expect(waiting.map((row) => [row.status, row.attempts])).toEqual(second.map(() => ['pending', 0]));
    // Final statuses are final: an image waiting for the recognizer is pending or retrying, never failed.
    const firstRows = (await stack.probe.images()).filter((row) => first.includes(row.id));
    expect(firstRows.map((row) => row.status).sort()).toEqual(firstRows.map(() => expect.stringMatching(/^(pending|retrying)$/)));
    expect(stack.channel().clients.map((client) => client.ready_count)).toEqual([0]); // consumer paused: RDY 0
    expect(stack.recognizer.totalCalls).toBe(0);
    expect((await readiness(processor)).circuit?.state).not.toBe('closed');

    await stack.recognizer.start(); // same port
    await until(async () => (await readiness(processor)).circuit?.state === 'closed', 'the circuit to close on a health probe', 30_000);
    const rows = await stack.expectEachOnce([...first, ...second]);
    // Recovery spent no attempt: the 5 failures before the circuit opened are all there is.
    expect(rows.reduce((sum, row) => sum + row.attempts, 0)).toBe(5);
    expect(rows.filter((row) => second.includes(row.id)).map((row) => row.attempts)).toEqual([0, 0, 0]);
    expect((await readiness(processor)).status).toBe(200);
  });

  it('recognizer gone silent (connections neither refused nor answered): calls fail fast and the breaker opens within seconds', async () => {
    const env = { QUEUE_MAX_IN_FLIGHT: '4', BREAKER_FAILURE_THRESHOLD: '5', MAX_ATTEMPTS: '10', FACE_RECOGNITION_DEADLINE_MS: '30000' };
    stack = await FaultStack.start(env);
    const processor = await stack.startProcessor('p1', env);
    await stack.recognizer.goSilent();
    const wentAway = Date.now();
    const ids = await stack.receiver.postMany(
      stack.files(['silent/a1.jpg', 'silent/a2.jpg', 'silent/a3.jpg', 'silent/a4.jpg', 'silent/a5.jpg', 'silent/a6.jpg']),
    );
    await until(async () => (await readiness(processor)).circuit?.state === 'open', 'the circuit to open', 30_000, 100);
    const openedInMs = Date.now() - wentAway;
    process.stdout.write(`[faults] recognizer silent: circuit open ${openedInMs} ms after it went away (call deadline 30 s)\n`);
    expect(openedInMs).toBeLessThan(10_000); // not after the 30 s deadline of the calls waiting for a connection

    await stack.recognizer.start(); // same port, answering again
    await until(async () => (await readiness(processor)).circuit?.state === 'closed', 'the circuit to close on a health probe', 30_000);
    await stack.expectEachOnce(ids);
  });

  it('REAL recognizer restarted: the breaker waits for SERVING (models loaded), then every image finishes once', async () => {
    const env = { QUEUE_MAX_IN_FLIGHT: '1', BREAKER_FAILURE_THRESHOLD: '5', MAX_ATTEMPTS: '10', RECOGNIZER_WORKERS: '1' };
    stack = await FaultStack.start(env);
    const startRecognizer = async (grpcPort: number) => {
      const app: FaceRecognitionApp = await createFaceRecognitionApp(stack!.config);
      const ports = await app.start({ grpcPort, healthPort: 0, host: '127.0.0.1' });
      return { app, ...ports };
    };
    let recognizer = await startRecognizer(0);
    try {
      const processor = await stack.startProcessor('p1', { ...env, FACE_RECOGNITION_ADDRESS: `127.0.0.1:${recognizer.grpcPort}` });
      await recognizer.app.ready();
      const warm = await stack.receiver.postMany(stack.files(['real/warm.jpg']));
      await stack.allFinal(warm);

      await recognizer.app.close();
      const during = await stack.receiver.postMany(
        await Promise.all(
          (['astronaut.png', 'astronaut_flipped.jpg', 'camera_rescaled.jpg'] as const).map((name) => stack!.images.add(name, `real/${name}`)),
        ),
      );
      await until(async () => (await readiness(processor)).circuit?.state === 'open', 'the circuit to open', 30_000);
      await until(async () => (await spentAttempts()) === 5, 'the 5 failed calls to be written as attempts', 10_000);

      // Back on the same port: NOT_SERVING while its models load, so the circuit must not close before ready().
      recognizer = await startRecognizer(recognizer.grpcPort);
      let loading = true;
      const loaded = recognizer.app.ready().finally(() => (loading = false));
      const statesWhileLoading: string[] = [];
      while (loading) {
        const state = (await readiness(processor)).circuit?.state ?? 'unknown';
        // Read after the state: if the recognizer still says 503 (models loading), the state above was too.
        const recognizerReady = await http('GET', `http://127.0.0.1:${recognizer.healthPort}/health/ready`);
        if (recognizerReady.status === 503) statesWhileLoading.push(state);
        await sleep(100);
      }
      await loaded;
      expect(statesWhileLoading.length).toBeGreaterThan(0);
      expect(statesWhileLoading).not.toContain('closed');
      await until(async () => (await readiness(processor)).circuit?.state === 'closed', 'the circuit to close', 60_000);
      const rows = await stack.allFinal([...warm, ...during]);
      expect(rows.map((row) => [row.status, row.faceRows])).toEqual(rows.map(() => ['unrecognized', 1]));
      expect(rows.reduce((sum, row) => sum + row.attempts, 0)).toBe(5); // recovery spent nothing
    } finally {
      await recognizer.app.close();
    }
  }, 180_000);

  it('a consumer killed mid-message: the message is redelivered to a second processor and processed once', async () => {
    const env = { QUEUE_MESSAGE_TIMEOUT_MS: '1000', CLAIM_TIMEOUT_MS: '3000' };
    stack = await FaultStack.start(env);
    const doomed = await stack.startProcessorProcess('doomed', env);
    await until(() => stack!.subscribers() === 1, 'the doomed processor to subscribe', 30_000);

    const [stuckPath, ...others] = stack.files(['kill/stuck.jpg', 'kill/ok1.jpg', 'kill/ok2.jpg']);
    stack.recognizer.hold.add(stuckPath);
    const stuck = await stack.receiver.post(stuckPath);
    await until(() => stack!.recognizer.callsFor(stuckPath) === 1, 'the doomed processor to be analysing', 30_000);
    const okIds = await stack.receiver.postMany(others);
    await stack.allFinal(okIds);
    expect((await stack.probe.images()).find((row) => row.id === stuck)?.status).toBe('processing');

    doomed.kill('SIGKILL');
    await until(() => doomed.signalCode === 'SIGKILL', 'the doomed processor to die', 10_000);
    // Its lease, renewed until the kill, must have expired (CLAIM_TIMEOUT_MS) before a second processor takes the image.
    await sleep(3_500);
    await stack.startProcessor('survivor', env);

    await stack.expectEachOnce([stuck], { analysesPerImage: 2 }); // the dead one's analysis + the survivor's
    await stack.expectEachOnce(okIds);
    // The survivor got the message from nsqd (no retry job runs here), and every message was FINished once.
    await until(() => stack!.channel().depth === 0 && stack!.channel().in_flight_count === 0, 'the channel to drain', 20_000);
    expect(stack.channel().message_count).toBe(3);
  });

  it('a consumer killed while its lease is still live: the redelivery is deferred until the lease expires (not dropped), then processed once', async () => {
    const env = { QUEUE_MESSAGE_TIMEOUT_MS: '1000', CLAIM_TIMEOUT_MS: '8000' };
    stack = await FaultStack.start(env);
    const doomed = await stack.startProcessorProcess('doomed', env);
    await until(() => stack!.subscribers() === 1, 'the doomed processor to subscribe', 30_000);
    const [stuckPath] = stack.files(['kill/live-claim.jpg']);
    stack.recognizer.hold.add(stuckPath);
    const stuck = await stack.receiver.post(stuckPath);
    await until(() => stack!.recognizer.callsFor(stuckPath) === 1, 'the doomed processor to be analysing', 30_000);
    const analysisStartedAt = Date.now();
    doomed.kill('SIGKILL');
    await until(() => doomed.signalCode === 'SIGKILL', 'the doomed processor to die', 10_000);

    // The survivor (no retry job here) gets nsqd's redelivery while the dead lease is live: it must not analyse
    // the image twice at once, nor drop the message: the copy is deferred until the lease would expire.
    const survivor = await stack.startProcessor('survivor', env);
    await until(
      () => stack!.channel().depth === 0 && stack!.channel().in_flight_count === 0 && stack!.channel().deferred_count === 1,
      'the redelivery to be deferred',
      20_000,
    );
    expect(Date.now()).toBeLessThan(analysisStartedAt + 8_000); // precondition of this scenario, not a timing claim
    expect((await stack.probe.images()).find((row) => row.id === stuck)?.status).toBe('processing'); // the dead lease
    expect(stack.recognizer.callsFor(stuckPath)).toBe(1);

    // The deferred copy comes back after the lease expired and takes the image over: processed once more, no job needed.
    const [row] = await stack.expectEachOnce([stuck], { analysesPerImage: 2 });
    expect(row.attempts).toBe(0); // taken over by a claim, not a failure
    expect(await survivor.get(RetryJob, { strict: false }).runOnce()).toMatchObject({ ran: true, published: 0 }); // nothing left for the job
  });

  it(`BOUND: a processor SIGKILLed mid-image under a stream of images, restarted: every image final ≤ ${RECOVERY_BOUND_MS / 1000} s after the restart (default lease and message timeout)`, async () => {
    stack = await FaultStack.start();
    const doomed = await stack.startProcessorProcess('doomed');
    await until(() => stack!.subscribers() === 1, 'the doomed processor to subscribe', 30_000);
    stack.recognizer.delayMs = 50;
    let sequence = 0;
    const streaming = streamImages(() => stack!.receiver.post(stack!.files([`stream/kill-${++sequence}.jpg`])[0]), 100);

    const [heldPath] = stack.files(['kill/held.jpg']);
    stack.recognizer.hold.add(heldPath);
    const held = await stack.receiver.post(heldPath);
    await until(() => stack!.recognizer.callsFor(heldPath) === 1, 'the doomed processor to be analysing', 30_000);
    await sleep(1_000); // the stream goes on meanwhile
    doomed.kill('SIGKILL');
    await until(() => doomed.signalCode === 'SIGKILL', 'the doomed processor to die', 10_000);
    await sleep(1_000); // images keep arriving while no processor runs

    await stack.startProcessor('restarted', {}, { retryJob: true });
    const restartedAt = Date.now();
    await sleep(2_000); // and after the restart
    const streamed = await streaming.stop();
    const ids = [held, ...streamed];
    await stack.allFinal(ids, RECOVERY_BOUND_MS + 5_000);
    const recoveredInMs = Date.now() - restartedAt;
    process.stdout.write(`[faults] NSQ, processor killed: ${streamed.length + 1} images final ${recoveredInMs} ms after the restart\n`);
    expect(recoveredInMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    await stack.expectEachOnce([held], { analysesPerImage: 2 }); // the dead one's analysis + the restarted one's
    const rows = (await stack.probe.images()).filter((row) => streamed.includes(row.id));
    expect(rows.map((row) => [row.status, row.faceRows])).toEqual(streamed.map(() => ['unrecognized', 1]));
    expect(streamed.length).toBeGreaterThan(10);
  }, 120_000);

  it(`BOUND: nsqd stopped for 10 s under a stream of images: every image final ≤ ${RECOVERY_BOUND_MS / 1000} s after it is back`, async () => {
    stack = await FaultStack.start();
    await stack.startProcessor('p1', {}, { retryJob: true });
    stack.recognizer.delayMs = 50;
    let sequence = 0;
    const streaming = streamImages(() => stack!.receiver.post(stack!.files([`stream/nsq-${++sequence}.jpg`])[0]), 100);
    await sleep(1_000);
    await stack.nsqd.stop();
    const stoppedAt = Date.now();
    await until(
      async () => (await stack!.probe.images()).filter((row) => row.status === 'pending').length >= 5,
      'posts stored while nsqd is down',
      20_000,
    );
    await sleep(Math.max(0, stoppedAt + 10_000 - Date.now()));
    await stack.nsqd.start();
    const backAt = Date.now();
    await sleep(2_000); // the stream goes on after it is back
    const ids = await streaming.stop();
    await stack.allFinal(ids, RECOVERY_BOUND_MS + 5_000);
    const recoveredInMs = Date.now() - backAt;
    process.stdout.write(`[faults] NSQ, nsqd down 10 s: ${ids.length} images final ${recoveredInMs} ms after it was back\n`);
    expect(recoveredInMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    const rows = (await stack.probe.images()).filter((row) => ids.includes(row.id));
    expect(rows.map((row) => [row.status, row.faceRows])).toEqual(ids.map(() => ['unrecognized', 1]));
    expect(ids.every((id) => stack!.recognizer.callsFor(rows.find((row) => row.id === id)!.path) === 1)).toBe(true); // none twice
  }, 120_000);

  it('the same message delivered several times: one outcome, one set of faces, one analysis; overlapping copies deferred, then FINished', async () => {
    stack = await FaultStack.start();
    const [path] = stack.files(['dup/twice.jpg']);
    const id = await stack.receiver.post(path); // published once by the receiver (no consumer yet: it waits)
    for (let copy = 0; copy < 2; copy++) {
      const pub = await fetch(`http://${stack.nsqd.httpAddress}/pub?topic=${TOPIC}`, { method: 'POST', body: JSON.stringify({ imageId: id }) });
      expect(pub.status).toBe(200);
    }
    stack.recognizer.delayMs = 300; // the copies overlap with the analysis of the first
    await stack.startProcessor('p1');
    await stack.startProcessor('p2');
    await stack.expectEachOnce([id]);
    // A copy that met the live lease was deferred (re-published with DPUB, so counted again as a message) until the
    // lease would expire, then found the image done. Every message ends FINished; none waits or was dropped.
    await until(
      () => stack!.channel().depth === 0 && stack!.channel().in_flight_count === 0 && stack!.channel().deferred_count === 0,
      'all copies to be handled',
      30_000,
    );
    const messages = stack.channel().message_count;
    expect(messages).toBeGreaterThanOrEqual(3);
    expect(stack.channel().clients.reduce((sum, client) => sum + client.finish_count, 0)).toBe(messages);
    expect(stack.recognizer.callsFor(path)).toBe(1);
  });

  it('database unreachable: messages are requeued, nothing is claimed, and everything is processed once it is back', async () => {
    // The processor logs in as its own user; locking that account and killing its connections makes the
    // database unreachable for the processor only (the machine's MariaDB keeps running; undone by UNLOCK).
    const user = `visage_e2e_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(9).toString('hex');
    const admin = await adminConnection();
    let scratch: TestDatabase | undefined;
    try {
      const env = { MAX_ATTEMPTS: '25' }; // an outage of a few seconds must not exhaust the attempts
      stack = await FaultStack.start(env);
      scratch = stack.database;
      if (scratch.config.type !== 'mysql') throw new Error('the fault stack runs on MariaDB');
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
      await admin.query(`GRANT ALL PRIVILEGES ON \`${scratch.config.database}\`.* TO '${user}'@'%'`);
      const url = `mysql://${user}:${password}@${scratch.config.host}:${scratch.config.port}/${scratch.config.database}`;
      await stack.startProcessor('p1', { ...env, DATABASE_URL: url });
      const before = await stack.receiver.postMany(stack.files(['db/before.jpg']));
      await stack.expectEachOnce(before);

      await admin.query(`ALTER USER '${user}'@'%' ACCOUNT LOCK`);
      const [sessions] = await admin.query('SELECT id FROM information_schema.processlist WHERE user = ?', [user]);
      for (const session of sessions as Array<{ id: number }>) await admin.query(`KILL ${Number(session.id)}`).catch(() => undefined);

      const duringPaths = stack.files(['db/d1.jpg', 'db/d2.jpg', 'db/d3.jpg']);
      const during = await stack.receiver.postMany(duringPaths);
      const requeuesBefore = stack.channel().requeue_count;
      await until(() => stack!.channel().requeue_count >= requeuesBefore + 6, 'the messages to be requeued while the database is away', 30_000);
      const waiting = (await stack.probe.images()).filter((row) => during.includes(row.id));
      expect(waiting.map((row) => [row.status, row.attempts, row.faceRows])).toEqual(during.map(() => ['pending', 0, 0]));
      expect(duringPaths.map((path) => stack!.recognizer.callsFor(path))).toEqual([0, 0, 0]);

      await admin.query(`ALTER USER '${user}'@'%' ACCOUNT UNLOCK`);
      await stack.expectEachOnce([...before, ...during]);
    } finally {
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => undefined);
      await admin.end();
    }
  });

  it('nsqd restarted: consumers reconnect, in-flight and later messages all finish, each once', async () => {
    stack = await FaultStack.start();
    await stack.startProcessor('p1');
    stack.recognizer.delayMs = 1_000; // analyses still running when nsqd goes away: their FIN is lost
    const before = await stack.receiver.postMany(stack.files(['nsq/b1.jpg', 'nsq/b2.jpg', 'nsq/b3.jpg']));
    await until(() => stack!.recognizer.totalCalls >= 1, 'an analysis in flight', 20_000);
    await stack.nsqd.restart();
    stack.recognizer.delayMs = 0;
    await until(() => stack!.subscribers() === 1, 'the consumer to reconnect', 60_000);
    const after = await stack.receiver.postMany(stack.files(['nsq/a1.jpg', 'nsq/a2.jpg', 'nsq/a3.jpg']));
    await stack.expectEachOnce([...before, ...after]);
  });

  it('200 images, 2 processors sharing the channel: each image processed exactly once', async () => {
    stack = await FaultStack.start();
    await stack.startProcessor('p1');
    await stack.startProcessor('p2');
    const names = Array.from({ length: 200 }, (_, index) => `many/${String(index).padStart(3, '0')}.jpg`);
    const ids = await stack.receiver.postMany(stack.files(names));
    await stack.expectEachOnce(ids);
    expect(stack.recognizer.totalCalls).toBe(200);
    const finishes = stack.channel().clients.map((client) => client.finish_count);
    expect(finishes).toHaveLength(2);
    expect(finishes.every((count) => count > 0)).toBe(true); // both instances took a share
    expect(finishes.reduce((sum, count) => sum + count, 0)).toBe(200);
  }, 180_000);
});

/**
 * The same bound on the embedded stack: SQLite + the in-process queue, a receiver and a processor in one child
 * process (as `npm start` runs them; the recognizer is the harness double). The in-process queue lives and dies
 * with that process, so "the queue stops" and "the processor is killed" are one fault here: a SIGKILL.
 */
/** A receiver and processor in one child process on SQLite, the in-process queue and the recognizer double. */
function embeddedEnv(images: ImagesRoot, recognizer: RecognizerDouble, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...FAST_ENV,
    DATABASE_URL: `sqlite:${join(images.root, 'visage.sqlite')}`,
    IMAGES_ROOT: images.root,
    FACE_RECOGNITION_ADDRESS: recognizer.address,
    E2E_WITH_RECEIVER: '1',
    E2E_SCHEDULE_RETRY_JOB: '1',
    ...extra,
  };
}

/** Every image row of that stack's SQLite file, read through a connection of its own. */
async function readImages(env: Record<string, string>): Promise<ImageEntity[]> {
  const source = await openMigrated(parseConfig(env).database);
  try {
    return await source.getRepository(ImageEntity).find();
  } finally {
    await source.destroy();
  }
}

describe('faults: SQLite + in-process queue (receiver and processor in one process)', () => {
  let images: ImagesRoot | undefined;
  let recognizer: RecognizerDouble | undefined;
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    recognizer?.stop();
    images?.remove();
  });

  it(`BOUND: the process SIGKILLed mid-image under a stream of images, restarted: every image final ≤ ${RECOVERY_BOUND_MS / 1000} s after the restart`, async () => {
    images = createImagesRoot('visage-e2e-embedded-faults-');
    recognizer = await RecognizerDouble.start();
    recognizer.delayMs = 50;
    const env = embeddedEnv(images, recognizer, {
      QUEUE_MAX_IN_FLIGHT: '1', // a backlog is still queued in memory when the process dies
    });
    const readDatabase = () => readImages(env);
    const first = await spawnProcessorProcess(env, 'embedded-1');
    children.push(first.child);
    const firstReceiver = new ReceiverClient(`http://127.0.0.1:${first.receiverPort}`);
    let sequence = 0;
    const copy = (name: string) => images!.copy('camera.png', name);
    const streaming = streamImages(() => firstReceiver.post(copy(`stream/a-${++sequence}.jpg`)), 50);
    const heldPath = copy('kill/held.jpg');
    recognizer.hold.add(heldPath);
    const held = await firstReceiver.post(heldPath);
    await until(() => recognizer!.callsFor(heldPath) === 1, 'the analysis to start', 30_000);
    await sleep(1_000);
    first.child.kill('SIGKILL');
    await until(() => first.child.signalCode === 'SIGKILL', 'the process to die', 10_000);
    const beforeRestart = await streaming.stop();
    const lost = (await readDatabase()).filter((row) => row.status === 'pending').length;
    expect(lost).toBeGreaterThan(0); // messages that died with the in-process queue

    const second = await spawnProcessorProcess(env, 'embedded-2');
    children.push(second.child);
    const restartedAt = Date.now();
    const secondReceiver = new ReceiverClient(`http://127.0.0.1:${second.receiverPort}`);
    const afterRestart = await Promise.all([1, 2, 3].map((n) => secondReceiver.post(copy(`stream/b-${n}.jpg`))));
    const ids = [held, ...beforeRestart, ...afterRestart];
    await until(
      async () => {
        const rows = (await readDatabase()).filter((row) => ids.includes(row.id));
        return rows.length === ids.length && rows.every((row) => row.status === 'unrecognized');
      },
      'every image to be final',
      RECOVERY_BOUND_MS + 5_000,
      250,
    );
    const recoveredInMs = Date.now() - restartedAt;
    process.stdout.write(`[faults] SQLite + in-process, process killed: ${ids.length} images final ${recoveredInMs} ms after the restart\n`);
    expect(recoveredInMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    const rows = (await readDatabase()).filter((row) => ids.includes(row.id));
    expect(rows.every((row) => recognizer!.callsFor(row.path) === (row.id === held ? 2 : 1))).toBe(true); // none done twice
  }, 180_000);

  it('recognizer stopped (default attempts and breaker): images wait pending or retrying, never failed, and finish once it is back', async () => {
    images = createImagesRoot('visage-e2e-embedded-recognizer-down-');
    recognizer = await RecognizerDouble.start();
    const env = embeddedEnv(images, recognizer);
    const readDatabase = () => readImages(env);
    const processor = await spawnProcessorProcess(env, 'embedded-down');
    children.push(processor.child);
    const receiver = new ReceiverClient(`http://127.0.0.1:${processor.receiverPort}`);
    recognizer.stop();

    // One image first, alone: it meets every failure before the circuit opens, the worst case for its attempts.
    const ids = [await receiver.post(images.copy('camera.png', 'down/alone.jpg'))];
    for (let n = 1; n <= 3; n++) ids.push(await receiver.post(images.copy('camera.png', `down/later-${n}.jpg`)));
    const seen = new Set<string>();
    const watchUntil = Date.now() + 8_000;
    while (Date.now() < watchUntil) {
      for (const row of (await readDatabase()).filter((image) => ids.includes(image.id))) seen.add(row.status);
      await sleep(200);
    }
    expect([...seen].filter((status) => status !== 'pending' && status !== 'retrying' && status !== 'processing')).toEqual([]);

    await recognizer.start(); // same port
    await until(
      async () => (await readDatabase()).filter((row) => ids.includes(row.id) && row.status === 'unrecognized').length === ids.length,
      'every image to finish once the recognizer is back',
      60_000,
      250,
    );
  }, 180_000);
});

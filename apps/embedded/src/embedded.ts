import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { INestApplication, Logger } from '@nestjs/common';
import { VisageConfig } from '@visage/config';
import { describeError } from '@visage/domain';
import { appLogger } from '@visage/observability';
import { QUEUE_CONSUMER, QueueServer } from '@visage/queue';
import { createFaceRecognitionApp, FaceRecognitionApp } from '../../face-recognition/src';
import { createFrontendApp } from '../../frontend/src';
import { ConsumptionGate, createImageProcessorApp, ProcessImageService, RetryJob } from '../../image-processor/src';
import { createReceiverApp } from '../../receiver/src';

/** The shutdown steps, in the order they run (each is logged). */
export const SHUTDOWN_STEPS = ['stop consuming', 'drain in-flight', 'release claims', 'close servers', 'close database'] as const;
export type ShutdownStep = (typeof SHUTDOWN_STEPS)[number];

export interface ShutdownReport {
  steps: Array<{ step: ShutdownStep; detail: string }>;
}

export interface EmbeddedVisage {
  recognizer: FaceRecognitionApp;
  receiver: INestApplication;
  processor: INestApplication;
  frontend: INestApplication;
  /** Ports actually bound (differ from the config when it asked for 0). */
  ports: { receiver: number; frontend: number; processorHealth: number; grpc: number; recognizerHealth: number };
  /** Stops in {@link SHUTDOWN_STEPS} order; safe to call twice. */
  close(): Promise<ShutdownReport>;
}

export interface EmbeddedOptions {
  /** Every app listens here; default BIND_HOST (loopback unless the operator opens it). */
  host?: string;
  /**
   * Builds the processor app (default `createImageProcessorApp`): tests pass one whose module overrides a provider
   * (e.g. `FACE_ANALYZER`) and finish it with `startImageProcessorApp`. The real recognizer still runs.
   */
  createProcessor?: (config: VisageConfig) => Promise<INestApplication>;
}

/** Where the apps reach each other: the bound interface itself, or loopback when bound to every interface. */
function localAddress(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function boundPort(app: INestApplication): number {
  return (app.getHttpServer().address() as { port: number }).port;
}

/**
 * Every app in one process: the recognizer first (the processor's breaker probes it), then the receiver,
 * the processor and the dashboard. With the defaults this is SQLite + the in-process queue, so nothing
 * else has to run.
 */
export async function startEmbedded(config: VisageConfig, options: EmbeddedOptions = {}): Promise<EmbeddedVisage> {
  const host = options.host ?? config.BIND_HOST;
  // One process, one logger named "visage"; lines of a request or message name the app handling it.
  appLogger(config, 'visage');
  mkdirSync(config.storage.imagesRoot, { recursive: true });
  mkdirSync(config.storage.knownFacesDir, { recursive: true });
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    // One process, so the recognizer's token needs no sharing: unset, a fresh one per start.
    const withToken: VisageConfig = { ...config, RECOGNIZER_TOKEN: config.RECOGNIZER_TOKEN ?? randomBytes(32).toString('base64url') };
    const recognizer = await createFaceRecognitionApp(withToken);
    started.push(recognizer);
    const recognizerPorts = await recognizer.start({ host });
    // The processor reaches the recognizer on the port it really got (FACE_RECOGNITION_PORT may be 0).
    const wired: VisageConfig = { ...withToken, FACE_RECOGNITION_ADDRESS: `${localAddress(host)}:${recognizerPorts.grpcPort}` };

    const receiver = await createReceiverApp(wired);
    started.push(receiver);
    await receiver.listen(config.RECEIVER_PORT, host);
    const receiverPort = boundPort(receiver);

    const processor = await (options.createProcessor ?? createImageProcessorApp)(wired);
    started.push(processor);
    await processor.listen(config.PROCESSOR_HEALTH_PORT, host);

    const frontend = await createFrontendApp({ ...wired, RECEIVER_URL: `http://${localAddress(host)}:${receiverPort}` });
    started.push(frontend);
    await frontend.listen(config.FRONTEND_PORT, host);

    let closing: Promise<ShutdownReport> | undefined;
    return {
      recognizer,
      receiver,
      processor,
      frontend,
      ports: {
        receiver: receiverPort,
        frontend: boundPort(frontend),
        processorHealth: boundPort(processor),
        grpc: recognizerPorts.grpcPort,
        recognizerHealth: recognizerPorts.healthPort,
      },
      close: () => (closing ??= shutDown({ recognizer, receiver, processor, frontend })),
    };
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

/**
 * The order matters: nothing new is taken while in-flight work settles; a claim still held after the drain is
 * given back (so a restart takes the image at once, not after its lease); servers stop before the database
 * goes, so no request finds it closed.
 */
async function shutDown(apps: Pick<EmbeddedVisage, 'recognizer' | 'receiver' | 'processor' | 'frontend'>): Promise<ShutdownReport> {
  const logger = new Logger('Visage');
  const report: ShutdownReport = { steps: [] };
  const step = async (name: ShutdownStep, run: () => Promise<string>) => {
    let detail: string;
    try {
      detail = await run();
    } catch (error) {
      detail = `failed: ${describeError(error)}`;
    }
    report.steps.push({ step: name, detail });
    logger.log(`shutdown ${report.steps.length}/${SHUTDOWN_STEPS.length} ${name}: ${detail}`);
  };
  const consumer = apps.processor.get<QueueServer>(QUEUE_CONSUMER);
  const processing = apps.processor.get(ProcessImageService, { strict: false });

  await step('stop consuming', async () => {
    apps.processor.get(RetryJob, { strict: false }).stop();
    // Through the gate, so neither the start-up finishing nor the circuit closing resumes it meanwhile.
    apps.processor.get(ConsumptionGate, { strict: false }).hold('stopping');
    return `consumer paused, retry job stopped; ${consumer.inFlightCount} image(s) in flight`;
  });
  await step('drain in-flight', async () => {
    const running = consumer.inFlightCount;
    await consumer.close(); // waits up to QUEUE_CLOSE_TIMEOUT_MS, then requeues what still runs
    return `${running} in flight, ${processing.activeClaimCount} still running after the drain`;
  });
  await step('release claims', async () => `${await processing.releaseActiveClaims()} claim(s) given back as pending`);
  await step('close servers', async () => {
    await Promise.all([apps.frontend, apps.receiver, apps.processor].map((app) => closeListener(app)));
    await apps.recognizer.close();
    return 'dashboard, receiver and processor HTTP closed; recognizer gRPC and workers stopped';
  });
  await step('close database', async () => {
    // Nest's close runs the remaining shutdown hooks, TypeORM's among them (each app's DataSource is destroyed).
    await closeAll([apps.receiver, apps.processor, apps.frontend]);
    return 'every app closed, database connections released';
  });
  return report;
}

function closeListener(app: INestApplication): Promise<void> {
  const server = app.getHttpServer() as import('node:http').Server;
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Newest first, so nothing is left consuming from or publishing to a part that is already gone. */
async function closeAll(apps: Array<{ close(): Promise<void> }>): Promise<void> {
  for (const app of [...apps].reverse()) {
    await app.close().catch((error: unknown) => new Logger('Visage').warn(`close failed: ${String(error)}`));
  }
}

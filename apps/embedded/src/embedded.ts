import { mkdirSync } from 'node:fs';
import { INestApplication, Logger } from '@nestjs/common';
import { VisageConfig } from '@visage/config';
import { createFaceRecognitionApp, FaceRecognitionApp } from '../../face-recognition/src';
import { createFrontendApp } from '../../frontend/src';
import { createImageProcessorApp } from '../../image-processor/src';
import { createReceiverApp } from '../../receiver/src';

export interface EmbeddedVisage {
  recognizer: FaceRecognitionApp;
  receiver: INestApplication;
  processor: INestApplication;
  frontend: INestApplication;
  /** Ports actually bound (differ from the config when it asked for 0). */
  ports: { receiver: number; frontend: number; processorHealth: number; grpc: number; recognizerHealth: number };
  close(): Promise<void>;
}

function boundPort(app: INestApplication): number {
  return (app.getHttpServer().address() as { port: number }).port;
}

/**
 * Every app in one process: the recognizer first (the processor's breaker probes it), then the receiver,
 * the processor and the dashboard. With the defaults this is SQLite + the in-process queue, so nothing
 * else has to run. Every app listens on `host` (all interfaces, like the separate deployables; tests pass loopback).
 */
export async function startEmbedded(config: VisageConfig, host = '0.0.0.0'): Promise<EmbeddedVisage> {
  mkdirSync(config.IMAGES_ROOT, { recursive: true });
  mkdirSync(config.KNOWN_FACES_DIR, { recursive: true });
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const recognizer = await createFaceRecognitionApp(config);
    started.push(recognizer);
    const recognizerPorts = await recognizer.start({ host });
    // The processor reaches the recognizer on the port it really got (FACE_RECOGNITION_PORT may be 0).
    const wired: VisageConfig = { ...config, FACE_RECOGNITION_ADDRESS: `127.0.0.1:${recognizerPorts.grpcPort}` };

    const receiver = await createReceiverApp(wired);
    started.push(receiver);
    await receiver.listen(config.RECEIVER_PORT, host);
    const receiverPort = boundPort(receiver);

    const processor = await createImageProcessorApp(wired);
    started.push(processor);
    await processor.listen(config.PROCESSOR_HEALTH_PORT, host);

    const frontend = await createFrontendApp({ ...wired, RECEIVER_URL: `http://127.0.0.1:${receiverPort}` });
    started.push(frontend);
    await frontend.listen(config.FRONTEND_PORT, host);

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
      close: () => closeAll(started),
    };
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

/** Newest first, so nothing is left consuming from or publishing to a part that is already gone. */
async function closeAll(apps: Array<{ close(): Promise<void> }>): Promise<void> {
  for (const app of [...apps].reverse()) {
    await app.close().catch((error: unknown) => new Logger('Visage').warn(`close failed: ${String(error)}`));
  }
}

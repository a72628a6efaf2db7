/**
 * One deployable in its own process, configured from the environment like its `main.ts` (so it logs through its own
 * process logger, LOG_FORMAT from the environment), on ephemeral ports. `E2E_APP` picks receiver, processor or
 * recognizer. Started with `vite-node -c vitest.config.ts`; prints `E2E_APP_READY {"port":…,"grpcPort":…}` once it
 * listens.
 */
import './app-process-instrument';
import { INestApplication } from '@nestjs/common';
import { loadConfig } from '@visage/config';
import { createFaceRecognitionApp } from '../../apps/face-recognition/src/face-recognition.app';
import { createImageProcessorApp } from '../../apps/image-processor/src/image-processor.app';
import { createReceiverApp } from '../../apps/receiver/src/receiver.app';
import { withEphemeralPorts } from './harness';

export const APP_READY_MARKER = 'E2E_APP_READY';

function portOf(app: INestApplication): number {
  return (app.getHttpServer().address() as { port: number }).port;
}

async function main(): Promise<{ port: number; grpcPort?: number }> {
  const config = withEphemeralPorts(loadConfig());
  switch (process.env.E2E_APP) {
    case 'receiver': {
      const app = await createReceiverApp(config);
      await app.listen(0, '127.0.0.1');
      return { port: portOf(app) };
    }
    case 'processor': {
      const app = await createImageProcessorApp(config, { scheduleRetryJob: false });
      await app.listen(0, '127.0.0.1');
      return { port: portOf(app) };
    }
    case 'recognizer': {
      const app = await createFaceRecognitionApp(config);
      const ports = await app.start({ host: '127.0.0.1' });
      await app.ready();
      return { port: ports.healthPort, grpcPort: ports.grpcPort };
    }
    default:
      throw new Error(`E2E_APP must be receiver, processor or recognizer, not ${process.env.E2E_APP}`);
  }
}

if (process.env.E2E_APP) {
  main().then(
    (ports) => process.stdout.write(`${APP_READY_MARKER} ${JSON.stringify(ports)}\n`),
    (error: unknown) => {
      process.stderr.write(`${process.env.E2E_APP} child failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}

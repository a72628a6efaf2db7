import { Logger } from '@nestjs/common';
import { createFaceRecognitionApp } from './face-recognition.app';

async function main(): Promise<void> {
  const app = await createFaceRecognitionApp();
  app.nest.enableShutdownHooks();
  const { grpcPort, healthPort } = await app.start();
  Logger.log(`face-recognition: gRPC on ${grpcPort}, health on ${healthPort}`, 'Bootstrap');
}

main().catch((error: Error) => {
  Logger.error(`face-recognition failed to start: ${error.message}`, error.stack, 'Bootstrap');
  process.exit(1);
});

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@visage/config';
import { createReceiverApp } from './receiver.app';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await createReceiverApp(config);
  app.enableShutdownHooks();
  await app.listen(config.RECEIVER_PORT, '0.0.0.0');
  new Logger('Receiver').log(`listening on 0.0.0.0:${config.RECEIVER_PORT} (API docs at /docs)`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

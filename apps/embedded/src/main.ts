import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig, runMain } from '@visage/config';
import { SHUTDOWN_STEPS, startEmbedded } from './embedded';

runMain('Visage', async () => {
  const config = loadConfig();
  const visage = await startEmbedded(config);
  const stop = (signal: string) => {
    const logger = new Logger('Visage');
    logger.log(`${signal}: stopping (${SHUTDOWN_STEPS.join(' → ')})`);
    // Each step is logged as it completes; the process exits only once the database is closed.
    void visage.close().then(() => {
      logger.log('stopped');
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const { ports } = visage;
  return [
    `running on ${config.database.type} with the ${config.queue.driver} queue; images under ${config.IMAGES_ROOT}`,
    `  receiver API  http://localhost:${ports.receiver}  (docs /docs)`,
    `  dashboard     http://localhost:${ports.frontend}`,
    `  recognizer    gRPC :${ports.grpc}, health http://localhost:${ports.recognizerHealth}/health/ready`,
  ].join('\n');
});

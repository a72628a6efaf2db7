import 'reflect-metadata';
import './instrument';
import { Logger } from '@nestjs/common';
import { loadConfig, runMain } from '@visage/config';
import { startupBanner } from './banner';
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
  return startupBanner(config, visage.ports);
});

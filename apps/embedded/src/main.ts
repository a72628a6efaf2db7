import 'reflect-metadata';
import './instrument';
import { Logger } from '@nestjs/common';
import { AdminKeyBootstrap } from '@visage/auth';
import { loadConfig, runMain } from '@visage/config';
import { startupBanner } from './banner';
import { SHUTDOWN_STEPS, startEmbedded } from './embedded';

runMain('Visage', async () => {
  const config = loadConfig();
  const visage = await startEmbedded(config);
  let stopping = false;
  const stop = (signal: string) => {
    const logger = new Logger('Visage');
    // A Ctrl-C reaches this process from the terminal and again through `npm start`'s launcher: stop once.
    if (stopping) return logger.log(`${signal}: already stopping`);
    stopping = true;
    logger.log(`${signal}: stopping (${SHUTDOWN_STEPS.join(' → ')})`);
    // Each step is logged as it completes; the process exits only once the database is closed.
    void visage.close().then(() => {
      logger.log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Either app may have generated the admin key (they share one bootstrap lock): whichever did holds it.
  const generatedKey = [visage.receiver, visage.frontend].map((app) => app.get(AdminKeyBootstrap, { strict: false }).generatedKey).find(Boolean);
  return startupBanner(config, visage.ports, generatedKey);
});

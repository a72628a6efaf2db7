import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig, runMain } from '@visage/config';
import { startupBanner } from './banner';
import { startEmbedded } from './embedded';

runMain('Visage', async () => {
  const config = loadConfig();
  const visage = await startEmbedded(config);
  const stop = (signal: string) => {
    new Logger('Visage').log(`${signal}: stopping`);
    void visage.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return startupBanner(config, visage.ports);
});

import 'reflect-metadata';
import './instrument';
import { loadConfig, runMain } from '@visage/config';
import { createFrontendApp } from './frontend.app';

runMain('Frontend', async () => {
  const config = loadConfig();
  const app = await createFrontendApp(config);
  app.enableShutdownHooks();
  await app.listen(config.FRONTEND_PORT, config.BIND_HOST);
  return `dashboard on http://${config.BIND_HOST}:${config.FRONTEND_PORT} (receiver: ${config.RECEIVER_URL})`;
});

import 'reflect-metadata';
import './instrument';
import { loadConfig, runMain } from '@visage/config';
import { createReceiverApp } from './receiver.app';

runMain('Receiver', async () => {
  const config = loadConfig();
  const app = await createReceiverApp(config);
  app.enableShutdownHooks();
  await app.listen(config.RECEIVER_PORT, '0.0.0.0');
  return `listening on 0.0.0.0:${config.RECEIVER_PORT} (API docs at /docs)`;
});

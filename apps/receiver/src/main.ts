import 'reflect-metadata';
import './instrument';
import { loadConfig, requireRecognizerToken, runMain } from '@visage/config';
import { createReceiverApp } from './receiver.app';

runMain('Receiver', async () => {
  const config = loadConfig();
  requireRecognizerToken(config); // enrolment analyses uploaded faces on the recognizer
  const app = await createReceiverApp(config);
  app.enableShutdownHooks();
  await app.listen(config.RECEIVER_PORT, config.BIND_HOST);
  return `listening on ${config.BIND_HOST}:${config.RECEIVER_PORT} (API docs at /docs)`;
});

import 'reflect-metadata';
import './instrument';
import { loadConfig, requireRecognizerToken, runMain } from '@visage/config';
import { createImageProcessorApp } from './image-processor.app';

runMain('ImageProcessor', async () => {
  const config = loadConfig();
  requireRecognizerToken(config);
  const app = await createImageProcessorApp(config);
  app.enableShutdownHooks();
  await app.listen(config.PROCESSOR_HEALTH_PORT, config.BIND_HOST);
  return `consuming "${config.QUEUE_TOPIC}"; health on ${config.BIND_HOST}:${config.PROCESSOR_HEALTH_PORT}/health`;
});

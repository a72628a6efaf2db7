import 'reflect-metadata';
import './instrument';
import { loadConfig, runMain } from '@visage/config';
import { createImageProcessorApp } from './image-processor.app';

runMain('ImageProcessor', async () => {
  const config = loadConfig();
  const app = await createImageProcessorApp(config);
  app.enableShutdownHooks();
  await app.listen(config.PROCESSOR_HEALTH_PORT, '0.0.0.0');
  return `consuming "${config.QUEUE_TOPIC}"; health on :${config.PROCESSOR_HEALTH_PORT}/health`;
});

import { Logger } from '@nestjs/common';
import { loadConfig } from '@visage/config';
import { createImageProcessorApp } from './image-processor.app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createImageProcessorApp(config);
  await app.listen(config.PROCESSOR_HEALTH_PORT);
  new Logger('ImageProcessor').log(`consuming "${config.QUEUE_TOPIC}"; health on :${config.PROCESSOR_HEALTH_PORT}/health`);
}

main().catch((error: unknown) => {
  new Logger('ImageProcessor').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

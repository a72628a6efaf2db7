import { Logger } from '@nestjs/common';
import { loadConfig } from '@visage/config';
import { createFrontendApp } from './frontend.app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createFrontendApp(config);
  await app.listen(config.FRONTEND_PORT);
  new Logger('Frontend').log(`dashboard on http://localhost:${config.FRONTEND_PORT} (receiver: ${config.RECEIVER_URL})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

/**
 * One image processor in its own process, configured from the environment like `apps/image-processor/src/main.ts`,
 * so a fault test can SIGKILL it mid-message (a real crash: no graceful close, no REQ, no further writes).
 * Started with `vite-node -c vitest.config.ts` (SWC, decorator metadata). Prints a marker once it consumes.
 */
import { loadConfig } from '@visage/config';
import { createImageProcessorApp } from '../../apps/image-processor/src/image-processor.app';

export const PROCESSOR_READY_MARKER = 'E2E_PROCESSOR_READY';

async function main(): Promise<void> {
  const app = await createImageProcessorApp(loadConfig(), {
    instanceId: process.env.E2E_INSTANCE_ID,
    scheduleRetryJob: false,
    logger: ['error'],
  });
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`${PROCESSOR_READY_MARKER}\n`);
}

if (process.env.E2E_PROCESSOR_CHILD === '1') {
  main().catch((error: unknown) => {
    process.stderr.write(`processor child failed: ${String(error)}\n`);
    process.exit(1);
  });
}

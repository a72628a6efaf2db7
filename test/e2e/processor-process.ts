/**
 * One image processor in its own process, configured from the environment like `apps/image-processor/src/main.ts`,
 * so a fault test can SIGKILL it mid-message (a real crash: no graceful close, no REQ, no further writes).
 * Started with `vite-node -c vitest.config.ts` (SWC, decorator metadata). Prints a marker once it consumes,
 * followed by JSON with the receiver's port when it runs one.
 *
 * E2E_SCHEDULE_RETRY_JOB=1: the retry job runs on its cron (otherwise tests tick it by hand).
 * E2E_WITH_RECEIVER=1: a receiver in the same process, as embedded mode runs them (the in-process queue only
 * joins apps of one process).
 */
import { loadConfig } from '@visage/config';
import { createImageProcessorApp } from '../../apps/image-processor/src/image-processor.app';
import { createReceiverApp } from '../../apps/receiver/src/receiver.app';

export const PROCESSOR_READY_MARKER = 'E2E_PROCESSOR_READY';

async function main(): Promise<void> {
  const config = loadConfig();
  let receiverPort: number | undefined;
  if (process.env.E2E_WITH_RECEIVER === '1') {
    const receiver = await createReceiverApp(config, { logger: ['error'] });
    await receiver.listen(0, '127.0.0.1');
    receiverPort = (receiver.getHttpServer().address() as { port: number }).port;
  }
  const app = await createImageProcessorApp(config, {
    instanceId: process.env.E2E_INSTANCE_ID,
    scheduleRetryJob: process.env.E2E_SCHEDULE_RETRY_JOB === '1',
    logger: ['error'],
  });
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`${PROCESSOR_READY_MARKER} ${JSON.stringify({ receiverPort })}\n`);
}

if (process.env.E2E_PROCESSOR_CHILD === '1') {
  main().catch((error: unknown) => {
    process.stderr.write(`processor child failed: ${String(error)}\n`);
    process.exit(1);
  });
}

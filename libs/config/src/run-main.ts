import { Logger } from '@nestjs/common';
import { describeError } from '@visage/domain';

/**
 * Entry point of a deployable: starts it and logs where it listens; any boot failure (bad config,
 * unreachable database, port in use) is one readable log line and exit code 1, never a stack trace dump.
 */
export function runMain(name: string, start: () => Promise<string>): void {
  const logger = new Logger(name);
  start().then(
    (listening) => logger.log(listening),
    (error: unknown) => {
      logger.error(describeError(error));
      process.exit(1);
    },
  );
}

import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describeError } from '@visage/domain';
import { ConfigModule } from '@visage/config';
import { PersistenceModule } from '@visage/persistence';
import { ApiKeyService } from './api-key.service';
import { AuthModule } from './auth.module';
import { KEYS_USAGE, KeysUsageError, parseKeysCommand } from './keys-cli-args';

@Module({ imports: [ConfigModule.forRoot(), PersistenceModule.forRoot({ retryAttempts: 1 }), AuthModule.forKeysCli()] })
class KeysCliModule {}

/**
 * `npm run keys`: API keys on the configured database (DATABASE_URL), as the receiver's /keys routes do. Exit 0 on
 * success and for --help; 1 when it could not do it (revoking a key that does not exist, a database error);
 * 2 for a command line it does not understand (what is wrong, then the usage).
 */
async function main(argv: string[]): Promise<{ output: string; exitCode: number }> {
  const command = parseKeysCommand(argv);
  if (command.command === 'help') return { output: KEYS_USAGE, exitCode: 0 };
  const app = await NestFactory.createApplicationContext(KeysCliModule, { logger: ['error', 'warn'] });
  try {
    const keys = app.get(ApiKeyService);
    switch (command.command) {
      case 'create': {
        const created = await keys.create(command.name, command.scope, 'cli');
        return {
          output: `created key ${created.id} "${created.name}" (${created.scope}); shown this once, store it now:\n${created.key}`,
          exitCode: 0,
        };
      }
      case 'revoke':
        return (await keys.revoke(command.id, 'cli'))
          ? { output: `revoked key ${command.id}`, exitCode: 0 }
          : { output: `there is no active key ${command.id} (see npm run keys -- list)`, exitCode: 1 };
      case 'list': {
        const list = await keys.list();
        const lines = list.map(
          (key) =>
            `${key.id}\t${key.scope}\t${key.name}\t${key.revokedAt ? 'revoked' : 'active'}\tlast used ${key.lastUsedAt?.toISOString() ?? 'never'}`,
        );
        return { output: lines.join('\n') || 'no keys', exitCode: 0 };
      }
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  ({ output, exitCode }) => {
    (exitCode === 0 ? console.log : console.error)(output);
    process.exit(exitCode);
  },
  (error: unknown) => {
    console.error(error instanceof KeysUsageError ? error.message : describeError(error));
    process.exit(error instanceof KeysUsageError ? 2 : 1);
  },
);

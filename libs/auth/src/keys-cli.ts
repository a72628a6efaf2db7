import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { isApiScope } from '@visage/access';
import { describeError } from '@visage/domain';
import { ConfigModule } from '@visage/config';
import { PersistenceModule } from '@visage/persistence';
import { ApiKeyService } from './api-key.service';
import { AuthModule } from './auth.module';

const USAGE = `usage: npm run keys -- create --name <name> --scope read|submit|admin
       npm run keys -- list
       npm run keys -- revoke <id>`;

@Module({ imports: [ConfigModule.forRoot(), PersistenceModule.forRoot({ retryAttempts: 1 }), AuthModule.forKeysCli()] })
class KeysCliModule {}

/** `npm run keys`: API keys on the configured database (DATABASE_URL), as the receiver's /keys routes do. */
async function main(argv: string[]): Promise<string> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, scope: { type: 'string' } } });
  const [command, id] = positionals;
  if (!['create', 'list', 'revoke'].includes(command ?? '')) throw new Error(USAGE);
  const app = await NestFactory.createApplicationContext(KeysCliModule, { logger: ['error', 'warn'] });
  try {
    const keys = app.get(ApiKeyService);
    if (command === 'create') {
      if (!values.name?.trim() || !isApiScope(values.scope)) throw new Error(USAGE);
      const created = await keys.create(values.name.trim(), values.scope, 'cli');
      return `created key ${created.id} "${created.name}" (${created.scope}); shown this once, store it now:\n${created.key}`;
    }
    if (command === 'revoke') {
      const keyId = Number(id);
      if (!Number.isSafeInteger(keyId) || keyId <= 0) throw new Error(USAGE);
      return (await keys.revoke(keyId, 'cli')) ? `revoked key ${keyId}` : `there is no active key ${keyId}`;
    }
    const list = await keys.list();
    return list.map((key) => `${key.id}\t${key.scope}\t${key.name}\t${key.revokedAt ? 'revoked' : 'active'}\tlast used ${key.lastUsedAt?.toISOString() ?? 'never'}`).join('\n') || 'no keys';
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (output) => {
    console.log(output);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(describeError(error));
    process.exit(1);
  },
);

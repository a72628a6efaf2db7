import { parseArgs } from 'node:util';
import { API_SCOPES, ApiScope, isApiScope } from '@visage/access';
import { CodedError } from '@visage/domain';

export const KEYS_USAGE = `usage: npm run keys -- create --name <name> --scope read|submit|admin
       npm run keys -- list
       npm run keys -- revoke <id>
       npm run keys -- --help

Keys of the database in DATABASE_URL (run \`npm run build\` first). A lost admin key: create a new one with
\`npm run keys -- create --name admin --scope admin\`, then revoke the old one.`;

export type KeysCommand =
  { command: 'help' } | { command: 'list' } | { command: 'create'; name: string; scope: ApiScope } | { command: 'revoke'; id: number };

/** A command line that cannot run: `message` says what is wrong, and the usage follows it. */
export class KeysUsageError extends CodedError<'keys_usage'> {
  constructor(message: string) {
    super('keys_usage', `${message}\n\n${KEYS_USAGE}`);
  }
}

/** `npm run keys` arguments → the command, or a KeysUsageError naming the mistake. */
export function parseKeysCommand(argv: string[]): KeysCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string' }, scope: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new KeysUsageError((error as Error).message);
  }
  const { positionals, values } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') return { command: 'help' };
  switch (command) {
    case undefined:
      throw new KeysUsageError('no command: create, list or revoke');
    case 'list':
      if (rest.length > 0) throw new KeysUsageError(`list takes no arguments, not ${rest.join(' ')}`);
      return { command: 'list' };
    case 'create': {
      const name = values.name?.trim();
      if (!name) throw new KeysUsageError('create needs --name <name>');
      if (values.scope === undefined) throw new KeysUsageError(`create needs --scope ${API_SCOPES.join('|')}`);
      if (!isApiScope(values.scope)) throw new KeysUsageError(`--scope must be ${API_SCOPES.join(', ')}, not ${JSON.stringify(values.scope)}`);
      return { command: 'create', name, scope: values.scope };
    }
    case 'revoke': {
      const id = Number(rest[0]);
      if (rest.length !== 1 || !Number.isSafeInteger(id) || id <= 0)
        throw new KeysUsageError(`revoke needs one key id (a positive integer, see list), not ${JSON.stringify(rest.join(' '))}`);
      return { command: 'revoke', id };
    }
    default:
      throw new KeysUsageError(`unknown command ${JSON.stringify(command)}: create, list or revoke`);
  }
}

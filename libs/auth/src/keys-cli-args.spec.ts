import { describe, expect, it } from 'vitest';
import { KeysUsageError, parseKeysCommand } from './keys-cli-args';

function usageErrorOf(argv: string[]): string {
  try {
    parseKeysCommand(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(KeysUsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('npm run keys arguments', () => {
  it('reads the three commands and asks for help with --help, -h or help', () => {
    expect(parseKeysCommand(['create', '--name', ' ci ', '--scope', 'submit'])).toEqual({ command: 'create', name: 'ci', scope: 'submit' });
    expect(parseKeysCommand(['list'])).toEqual({ command: 'list' });
    expect(parseKeysCommand(['revoke', '7'])).toEqual({ command: 'revoke', id: 7 });
    for (const argv of [['--help'], ['-h'], ['help'], ['create', '--help']]) expect(parseKeysCommand(argv)).toEqual({ command: 'help' });
  });

  it.each([
    [[], /^no command/],
    [['delete', '3'], /^unknown command "delete"/],
    [['create', '--scope', 'admin'], /^create needs --name/],
    [['create', '--name', 'ci'], /^create needs --scope read\|submit\|admin/],
    [['create', '--name', 'ci', '--scope', 'root'], /^--scope must be read, submit, admin, not "root"/],
    [['revoke'], /^revoke needs one key id/],
    [['revoke', 'abc'], /^revoke needs one key id .*"abc"/],
    [['revoke', '0'], /^revoke needs one key id/],
    [['list', 'extra'], /^list takes no arguments/],
    [['list', '--colour'], /Unknown option '--colour'/],
  ])('%j: says what is wrong, then the usage', (argv, reason) => {
    const message = usageErrorOf(argv);
    expect(message).toMatch(reason);
    expect(message).toContain('usage: npm run keys -- create');
  });
});

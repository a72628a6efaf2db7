/**
 * Identity at population scale (issue #22): runs a `<Person>/<photo>` folder through the recognizer's engine.
 *
 *   npm run bench:identity -- <dir>                                    analyse the photos
 *   npm run bench:identity -- <dir> --write-faces <dump.json>          … and write the face dump
 */
import { resolve } from 'node:path';
import { parseConfig } from '@visage/config';
import { dumpFaces, writeDump } from './identity/face-dump';
import { machineLine, timed } from './machine';

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  const dir = args.find((arg, index) => !arg.startsWith('--') && !args[index - 1]?.startsWith('--'));
  if (!dir) throw new Error('usage: npm run bench:identity -- <dir> [--write-faces <dump.json>]');
  const config = parseConfig({ ...process.env, LOG_LEVEL: 'warn' });
  console.log(machineLine());
  const { result: dump, seconds, cpuSeconds } = await timed(() =>
    dumpFaces(config, resolve(dir), (done, total) => {
      if (done % 100 === 0 || done === total) process.stderr.write(`analysed ${done}/${total}\n`);
    }),
  );
  console.log(`${dump.photos.length} photos analysed by ${dump.engine} in ${seconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} s CPU)`);
  const out = option(args, '--write-faces');
  if (out) {
    writeDump(dump, resolve(out));
    console.log(`face dump written to ${resolve(out)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

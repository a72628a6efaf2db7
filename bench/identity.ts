/**
 * Identity at population scale (issue #22 §1) on any folder of `<Person>/<photo>`: every photo through the
 * recognizer's engine (in this process, the recognizer's settings), then
 * - faces found: the share of photos with a face, with none, with more than one;
 * - open set: the first photo of every person with ≥ 3 photos enrolled through the production enrolment rule (one
 *   face, or the dominant one), their other photos submitted, people with one photo as strangers → named right /
 *   wrong name / not named / strangers named at MATCH_THRESHOLD, and the curve over thresholds;
 * - groups with nobody enrolled (the cluster job's grouping, photos in a shuffled order): pairwise precision and
 *   recall, groups holding two faces of one photo, the largest group.
 * A photo's labelled person is its most prominent face (largest and most central); see identity/evaluate.ts.
 *
 *   npm run bench:identity -- <dir>                              analyse, then evaluate
 *   npm run bench:identity -- <dir> --write-faces <dump.json>    … and keep the analysis (the face dump)
 *   npm run bench:identity -- --faces <dump.json>                evaluate a dump again (seconds: no nets)
 * Env: the recognizer's and matcher's (FACE_ENGINE, MIN_DETECTION_SCORE, MATCH_THRESHOLD, CLUSTER_THRESHOLD …).
 */
import { resolve } from 'node:path';
import { parseConfig } from '@visage/config';
import { describeError } from '@visage/domain';
import { evaluateIdentity } from './identity/evaluate';
import { dumpFaces, FaceDump, readDump, writeDump } from './identity/face-dump';
import { reportLines } from './identity/report';
import { machineLine, timed } from './machine';

const USAGE = 'usage: npm run bench:identity -- <dir> [--write-faces <dump.json>] | --faces <dump.json>';

function parseArgs(argv: string[]): { dir?: string; faces?: string; writeFaces?: string } {
  const parsed: { dir?: string; faces?: string; writeFaces?: string } = {};
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--') continue;
    if (arg === '--faces') parsed.faces = argv[++index];
    else if (arg === '--write-faces') parsed.writeFaces = argv[++index];
    else if (arg.startsWith('--') || parsed.dir) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    else parsed.dir = arg;
  }
  if (!parsed.dir === !parsed.faces) throw new Error(USAGE);
  return parsed;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = parseConfig({ ...process.env, LOG_LEVEL: 'warn' });
  console.log(machineLine());
  let dump: FaceDump;
  if (args.faces) {
    dump = readDump(resolve(args.faces));
    console.log(`${dump.photos.length} photos of ${dump.root} from ${resolve(args.faces)} (${dump.engine}, ${dump.generatedAt})`);
  } else {
    const analysis = await timed(() =>
      dumpFaces(config, resolve(args.dir as string), (done, total) => {
        if (done % 100 === 0 || done === total) process.stderr.write(`analysed ${done}/${total}\n`);
      }),
    );
    dump = analysis.result;
    console.log(
      `${dump.photos.length} photos analysed by ${dump.engine} in ${analysis.seconds.toFixed(1)} s (${analysis.cpuSeconds.toFixed(1)} s CPU)`,
    );
    if (args.writeFaces) {
      writeDump(dump, resolve(args.writeFaces));
      console.log(`face dump written to ${resolve(args.writeFaces)}`);
    }
  }
  const { result, seconds } = await timed(() => evaluateIdentity(dump, config));
  for (const line of reportLines(result, config)) console.log(line);
  console.log(`evaluated in ${seconds.toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});

/**
 * Unknown-people grouping on real faces (issue #22 §4): a face dump (`bench:identity --write-faces`), nobody
 * enrolled, every detected face an unknown face, grouped by the product's `ClusterIndex` in several arrival
 * orders. Prints pairwise precision and recall, groups holding two faces of one photo, the largest group, the
 * outliers marked and the time. Targets (dev set): precision ≥ 98 %, recall ≥ 60 %, no group with two faces of
 * one photo.
 *
 *   npm run bench:groups -- /work/cache/lfw-faces.json [--threshold 0.5] [--orders 5]
 */
import { performance } from 'node:perf_hooks';
import { parseConfig } from '@visage/config';
import { processorSettingsFrom } from '../apps/image-processor/src/processor.settings';
import { groupAndMeasure, labelledFaces, readDump } from './group-quality';
import { shuffled } from './identity/evaluate';
import { machineLine } from './machine';

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

const percent = (value: number): string => `${(100 * value).toFixed(1)} %`;

function main(): void {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  const path = args.find((arg, index) => !arg.startsWith('--') && !args[index - 1]?.startsWith('--'));
  if (!path) throw new Error('usage: npm run bench:groups -- <face dump.json> [--threshold <distance>] [--orders <n>]');
  const threshold = Number(option(args, '--threshold') ?? processorSettingsFrom(parseConfig({ ...process.env }), 'bench').clusterThreshold);
  const orders = Number(option(args, '--orders') ?? 5);
  console.log(machineLine());
  const faces = labelledFaces(readDump(path));
  const people = new Set(faces.map((face) => face.label)).size;
  console.log(
    `${faces.length} faces of ${people} people (labelled face: nearest the photo's centre; other faces: people of their own), threshold ${threshold}`,
  );
  for (let order = 0; order < orders; order++) {
    const started = performance.now();
    const quality = groupAndMeasure(order === 0 ? faces : shuffled(faces, order), threshold);
    const ms = performance.now() - started;
    console.log(
      `${order === 0 ? 'dump order' : `shuffle ${order}`}: precision ${percent(quality.precision)} (target ≥ 98 %), recall ${percent(quality.recall)} (≥ 60 %), ` +
        `${quality.twoFacesOfOnePhoto} group(s) with two faces of one photo (0), largest group ${quality.largestGroup}, ${quality.groups} groups; ` +
        `${quality.wrongMembers} faces not their group's majority person; outliers marked ${quality.outliers} (${quality.outliersWrong} of them wrong members); ${ms.toFixed(0)} ms`,
    );
  }
}

main();

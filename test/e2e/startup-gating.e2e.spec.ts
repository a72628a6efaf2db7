/**
 * Start-up gating, as a new user meets it: start the whole pipeline (embedded launcher, REAL recognizer) with a
 * known-faces folder of 6 people, and submit the 43 labelled files the moment the receiver's readiness answers
 * 200: no sleep, no waiting for the models, the enrolment or the gallery. Every known face must be named and
 * no stranger named, on both stacks, with a gallery refresh period far longer than the test, so only the
 * processor's own gating (recognizer SERVING → known folder enrolled → its gallery reloaded → consume) can
 * make that true.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedVisage, startEmbedded } from '../../apps/embedded/src/embedded';
import { FACES_DIR, facesAvailable, loadFaceLabels, noLabelledFacesReason } from '../support/faces';
import { createImagesRoot, e2eStacks, E2eStack, embeddedStackConfig, http, ImagesRoot, ReceiverClient } from './harness';
import { until } from '../support/until';

const KNOWN_PERSONS = ['amy', 'barack-obama', 'joe-biden', 'leonard', 'penny', 'sheldon'];
/** Longer than the whole test: correctness must not wait for a periodic gallery refresh. */
const GALLERY_REFRESH_MS = 600_000;

/** The labelled set: every file that is a valid image (bad/ files expected to be rejected are left out). */
function labelledInputs(): Array<{ file: string; persons: string[]; hard: boolean }> {
  return Object.entries(loadFaceLabels())
    .filter(([, label]) => label.error === undefined)
    .map(([file, label]) => ({ file, persons: label.persons ?? [], hard: label.hard === true }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

/** Copies `<FACES_DIR>/<source>` to `<root>/<target>`: the labelled set is read in place, never committed. */
function copyLabelled(root: string, source: string, target: string): void {
  const destination = join(root, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(join(FACES_DIR, source), destination);
}

const skipReason = noLabelledFacesReason('start-up gating e2e on the labelled faces (its 43 files and 6 known people)');
if (skipReason) console.warn(skipReason);

describe.skipIf(!facesAvailable()).each(e2eStacks('visage_e2e_startup'))('start-up gating — $name', ({ start }) => {
  let stack: E2eStack;
  let images: ImagesRoot;
  let visage: EmbeddedVisage;
  let receiver: ReceiverClient;
  const inputs = facesAvailable() ? labelledInputs() : [];
  let knownFiles = 0;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    stack = await start();
    images = createImagesRoot('visage-e2e-startup-');
    for (const file of readdirSync(join(FACES_DIR, 'known'))) {
      if (!KNOWN_PERSONS.some((person) => file.startsWith(`${person}_`))) continue;
      copyLabelled(images.root, `known/${file}`, `known/${file}`);
      knownFiles += 1;
    }
    for (const { file } of inputs) copyLabelled(images.root, file, `in/${file}`);
    const config = embeddedStackConfig(stack, images, { GALLERY_REFRESH_MS: String(GALLERY_REFRESH_MS) });
    visage = await startEmbedded(config, { host: '127.0.0.1' });
    receiver = new ReceiverClient(`http://127.0.0.1:${visage.ports.receiver}`);
  }, 180_000);

  afterAll(async () => {
    await visage?.close();
    await stack?.close();
    images?.remove();
  });

  it('submitted as soon as the receiver is ready: every known face named, no stranger named', async () => {
    expect(inputs).toHaveLength(43);
    await until(async () => (await http('GET', `${receiver.url}/health/ready`)).status === 200, 'the receiver to be ready', 60_000, 20);
    const ids = await receiver.postMany(inputs.map(({ file }) => `in/${file}`));

    const missed: string[] = [];
    const wronglyNamed: string[] = [];
    let expectedNames = 0;
    for (const [index, input] of inputs.entries()) {
      const image = await receiver.settled(ids[index], ['processed', 'unrecognized', 'failed'], 600_000);
      const named = image.faces.flatMap((face) => (face.person ? [face.person.name] : []));
      for (const name of named) if (!input.persons.includes(name)) wronglyNamed.push(`${input.file}: ${name}`);
      // Hard files (beards, grimaces, tight crops) may miss a person; they may never name a wrong one.
      if (input.hard) continue;
      for (const person of input.persons.filter((name) => KNOWN_PERSONS.includes(name))) {
        expectedNames += 1;
        if (!named.includes(person)) missed.push(`${input.file}: ${person} (${image.status}${image.lastError ? `, ${image.lastError}` : ''})`);
      }
    }
    expect(expectedNames).toBeGreaterThanOrEqual(15);
    expect({ missed, wronglyNamed }).toEqual({ missed: [], wronglyNamed: [] });

    // The processor's readiness shows what its gallery holds: every known file of the 6 people.
    const ready = await http<{ info: Record<string, unknown> }>('GET', `http://127.0.0.1:${visage.ports.processorHealth}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.info.gallery).toMatchObject({ status: 'up', stage: 'consuming', descriptors: knownFiles, persons: KNOWN_PERSONS.length });
  }, 900_000);
});

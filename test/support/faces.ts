import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Labelled face images shared by every developer and CI (`../shared/faces` beside the checkout);
 * read in place, never copied into the repo. VISAGE_FACES_DIR overrides the location. Only the accuracy test and
 * the benchmarks use them; every other test runs on the committed fixtures (`./fixtures.ts`).
 */
export const FACES_DIR = process.env.VISAGE_FACES_DIR ?? resolve(__dirname, '../../../shared/faces');

export interface FaceLabel {
  persons?: string[];
  faces?: number;
  faces_min?: number;
  error?: string;
  error_optional?: boolean;
  hard?: boolean;
  note?: string;
}

export function facesAvailable(): boolean {
  return existsSync(resolve(FACES_DIR, 'labels.json'));
}

/** One line saying why `what` does not run here; undefined when the labelled set is there. */
export function noLabelledFacesReason(what: string): string | undefined {
  return facesAvailable() ? undefined : `SKIPPED ${what}: no labelled faces in ${FACES_DIR} (set VISAGE_FACES_DIR to run it).`;
}

/** The LFW dev set of issue #22 (`<Person>/<Person>_NNNN.jpg`, 600 people) beside the checkout; VISAGE_LFW_DIR overrides it. */
export const LFW_DIR = process.env.VISAGE_LFW_DIR ?? resolve(__dirname, '../../../shared/faces-lfw');

/** One line saying why `what` does not run here; undefined when the LFW dev set is there. */
export function noLfwReason(what: string): string | undefined {
  return existsSync(resolve(LFW_DIR, 'labels.json')) ? undefined : `SKIPPED ${what}: no LFW dev set in ${LFW_DIR} (set VISAGE_LFW_DIR to run it).`;
}

export function loadFaceLabels(): Record<string, FaceLabel> {
  return JSON.parse(readFileSync(resolve(FACES_DIR, 'labels.json'), 'utf8')) as Record<string, FaceLabel>;
}

import { RecipeProgress, RedescriptionProgress } from '@visage/persistence';

/** The line the people and images pages show while stored descriptors move to FACE_DESCRIPTOR_RECIPE. */
export interface RedescriptionNoticeView {
  text: string;
  /** Where the job is explained (the dashboard serves no docs, so the reference is shown, not linked). */
  docs: string;
}

const COUNT = new Intl.NumberFormat('en-US');

function counted(count: number, noun: string): string {
  return `${COUNT.format(count)} ${noun}${count === 1 ? '' : 's'}`;
}

function doneOf(progress: RecipeProgress, noun: string): string {
  const total = progress.done + progress.waiting + progress.failed;
  return `${COUNT.format(progress.done)} of ${counted(total, noun)}`;
}

/**
 * "Re-describing stored faces for chip-flip: 1,234 of 5,000 faces, 12 of 40 enrolments done; 3 faces failed (…)",
 * or nothing once every face and enrolment has the configured recipe. Failed rows are never tried again, so the line
 * stays (as finished) while any is left: those faces keep their last identity, those enrolments match nobody.
 */
export function presentRedescription(progress: RedescriptionProgress): RedescriptionNoticeView | undefined {
  const { faces, enrolments } = progress;
  const waiting = faces.waiting + enrolments.waiting;
  const failed = [faces.failed > 0 ? counted(faces.failed, 'face') : '', enrolments.failed > 0 ? counted(enrolments.failed, 'enrolment') : '']
    .filter(Boolean)
    .join(' and ');
  if (waiting === 0 && !failed) return undefined;
  const lead = waiting > 0 ? `Re-describing stored faces for ${progress.recipe}` : `Stored faces re-described for ${progress.recipe}`;
  const done = `${doneOf(faces, 'face')}, ${doneOf(enrolments, 'enrolment')} done`;
  const failures = failed ? `; ${failed} failed (image gone or face not found again)` : '';
  return { text: `${lead}: ${done}${failures}`, docs: 'docs/processor.md, “Re-description job”' };
}

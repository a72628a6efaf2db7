import { VisageConfig } from '@visage/config';
import { IdentityEvaluation, MIN_PHOTOS_TO_ENROL, OpenSetPoint } from './evaluate';
import { formatMeasure, IDENTITY_TARGETS, within } from './targets';

const percent = (part: number, whole: number) => (whole === 0 ? '—' : `${((100 * part) / whole).toFixed(1)} %`);

function pointLine(point: OpenSetPoint): string {
  return (
    `known named right ${percent(point.right, point.known)}, wrong name ${percent(point.wrong, point.known)}, ` +
    `not named ${percent(point.notNamed, point.known)}; strangers named ${percent(point.strangersNamed, point.strangers)}`
  );
}

/** The evaluation as the lines `npm run bench:identity` prints. */
export function reportLines(evaluation: IdentityEvaluation, config: VisageConfig): string[] {
  const { facesFound: found, openSet, grouping } = evaluation;
  const analysed = found.photos - found.refused;
  const lines = [
    `faces found: ${percent(analysed - found.withNone, analysed)} of ${analysed} photos (none in ${found.withNone}, ${percent(found.withNone, analysed)}; ` +
      `more than one in ${found.withSeveral}, ${percent(found.withSeveral, analysed)})${found.refused > 0 ? `; ${found.refused} refused by the recognizer` : ''}`,
    `open set: ${openSet.enrolled} people enrolled from their first photo (≥ ${MIN_PHOTOS_TO_ENROL} photos; ${openSet.enrolledFromSeveral} from the dominant face of several, ` +
      `${openSet.enrolmentRefused.length} refused), ${openSet.atOperatingPoint.known} photos of them submitted, ${openSet.atOperatingPoint.strangers} strangers`,
    `  at MATCH_THRESHOLD ${config.MATCH_THRESHOLD}: ${pointLine(openSet.atOperatingPoint)}`,
    `  (right ${openSet.atOperatingPoint.right}, wrong ${openSet.atOperatingPoint.wrong}, not named ${openSet.atOperatingPoint.notNamed}, strangers named ${openSet.atOperatingPoint.strangersNamed})`,
    '  curve: threshold → known named right / wrong name / strangers named',
    ...openSet.curve.map(
      (point) =>
        `    ${point.threshold.toFixed(2)}  ${percent(point.right, point.known).padStart(7)}  ${percent(point.wrong, point.known).padStart(7)}  ${percent(point.strangersNamed, point.strangers).padStart(7)}`,
    ),
    `groups (nobody enrolled, CLUSTER_THRESHOLD ${config.CLUSTER_THRESHOLD}): ${grouping.faces} faces in ${grouping.groups} groups; ` +
      `pairwise precision ${percent(grouping.pairwisePrecision, 1)}, recall ${percent(grouping.pairwiseRecall, 1)}; ` +
      `${grouping.groupsWithTwoFacesOfAPhoto} group(s) with two faces of one photo; largest group ${grouping.largestGroup} faces`,
  ];
  lines.push('targets (issue #22):');
  for (const target of IDENTITY_TARGETS) {
    const value = target.measure(evaluation);
    const sign = target.direction === 'atLeast' ? '≥' : '≤';
    lines.push(
      `  ${within(target, value, target.goal) ? 'met    ' : 'NOT MET'} ${target.name}: ${formatMeasure(target, value)} (goal ${sign} ${formatMeasure(target, target.goal)})`,
    );
  }
  if (openSet.enrolmentRefused.length > 0)
    lines.push(`enrolment refused: ${openSet.enrolmentRefused.map(({ file, reason }) => `${file} (${reason})`).join(', ')}`);
  return lines;
}

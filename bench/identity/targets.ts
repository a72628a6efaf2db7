import { IdentityEvaluation } from './evaluate';

export interface IdentityTarget {
  /** What is measured, as the report names it. */
  name: string;
  measure: (evaluation: IdentityEvaluation) => number;
  /** The goal of issue #22 on the LFW dev set (and the hidden set). */
  goal: number;
  /** A share (0…1, shown as a percentage) or a count. */
  unit: 'share' | 'count';
  /** `atLeast`: the measure must reach the bound; `atMost`: it must not pass it. */
  direction: 'atLeast' | 'atMost';
  /**
   * The bound test/accuracy/identity.spec.ts asserts today: the goal where the code meets it; otherwise the level
   * measured on this branch (a regression floor, so CI stays green), to be raised to the goal by the change that
   * meets it. Which targets are enforced is the lead's decision at merge time.
   */
  asserted: number;
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

/** Issue #22's targets, in one table (the bench prints them, the labelled test asserts `asserted`). */
export const IDENTITY_TARGETS: IdentityTarget[] = [
  {
    name: 'faces found (share of photos with a face)',
    measure: (e) => e.facesFound.found,
    goal: 0.99,
    unit: 'share',
    direction: 'atLeast',
    asserted: 0.99,
  },
  {
    name: 'strangers named',
    measure: (e) => share(e.openSet.atOperatingPoint.strangersNamed, e.openSet.atOperatingPoint.strangers),
    goal: 0.01,
    unit: 'share',
    direction: 'atMost',
    // Met at the mobilefacenet operating point (MATCH_THRESHOLD 0.52, MATCH_MARGIN 0.03): 0.5 % measured (chip-flip
    // at 0.50 / 0.08: 0.8 %; crop at 0.49 / 0.08: 0.5 %; crop at 0.55 alone: 15.8 %).
    asserted: 0.01,
  },
  {
    name: 'wrong name (share of known photos)',
    measure: (e) => share(e.openSet.atOperatingPoint.wrong, e.openSet.atOperatingPoint.known),
    goal: 0.01,
    unit: 'share',
    direction: 'atMost',
    // Met with the match rule: 0.0 % measured, every recipe (crop: 2.2 % at MATCH_THRESHOLD 0.55 alone).
    asserted: 0.01,
  },
  {
    name: 'known named right',
    measure: (e) => share(e.openSet.atOperatingPoint.right, e.openSet.atOperatingPoint.known),
    goal: 0.9,
    unit: 'share',
    direction: 'atLeast',
    // Met with mobilefacenet descriptors at 0.52 / 0.03: 90.9 % measured (chip-flip at 0.50 / 0.08: 80.4 %; crop at
    // 0.49 / 0.08: 69.2 %). The goal is asserted: a change that loses a point fails CI.
    asserted: 0.9,
  },
  {
    name: 'groups: pairwise precision',
    measure: (e) => e.grouping.pairwisePrecision,
    goal: 0.98,
    unit: 'share',
    direction: 'atLeast',
    // 99.9 % measured with mobilefacenet descriptors at CLUSTER_THRESHOLD 0.48 (other arrival orders 99.6 %;
    // chip-flip at 0.44: 99.0 %, other orders 96.8–99.4 %; 0.3 % before average linkage).
    asserted: 0.98,
  },
  { name: 'groups: pairwise recall', measure: (e) => e.grouping.pairwiseRecall, goal: 0.6, unit: 'share', direction: 'atLeast', asserted: 0.6 },
  {
    name: 'groups holding two faces of one photo',
    measure: (e) => e.grouping.groupsWithTwoFacesOfAPhoto,
    goal: 0,
    unit: 'count',
    direction: 'atMost',
    // Cannot-links make it 0 by construction (1 before branch `groups`: the chained group).
    asserted: 0,
  },
];

export function formatMeasure(target: IdentityTarget, value: number): string {
  return target.unit === 'count' ? String(value) : `${(100 * value).toFixed(1)} %`;
}

/** Whether `value` is within `bound` in the target's direction. */
export function within(target: IdentityTarget, value: number, bound: number): boolean {
  return target.direction === 'atLeast' ? value >= bound : value <= bound;
}

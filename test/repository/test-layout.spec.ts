/**
 * The test layout of docs/architecture.md ("How to add a test"), checked over the whole tree: every spec lives in
 * its tier's home and is named after its subject where a rule can say so, and the waiting, timer and recognizer
 * helpers exist once, in test/support.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage', 'test-output', 'data', 'images']);

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : walk(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The tiers: a spec's home, and what its name must say. */
const TIERS: Array<{ tier: string; home: RegExp; name?: RegExp; subjectBeside?: true }> = [
  { tier: 'unit (beside its subject)', home: /^(?:apps|libs)\/[^/]+\/src\/(?:.+\/)?[^/]+\.spec\.ts$/, subjectBeside: true },
  { tier: 'unit of bench code (beside its subject)', home: /^bench\/(?:.+\/)?[^/]+\.spec\.ts$/, subjectBeside: true },
  { tier: "an app's HTTP/gRPC tests (in-process app)", home: /^apps\/[^/]+\/test\/[^/]+\.spec\.ts$/ },
  { tier: "a lib's tests across its files", home: /^libs\/[^/]+\/test\/[^/]+\.spec\.ts$/ },
  { tier: 'multi-process stacks', home: /^test\/e2e\/[^/]+\.spec\.ts$/, name: /\.e2e\.spec\.ts$/ },
  { tier: 'browser', home: /^test\/browser\/[^/]+\.spec\.ts$/, name: /\.browser\.spec\.ts$/ },
  { tier: 'accuracy on the labelled photos', home: /^test\/accuracy\/[^/]+\.spec\.ts$/ },
  { tier: 'NSQ test server and the transports on it', home: /^test\/nsq\/[^/]+\.spec\.ts$/ },
  { tier: 'checks over the repository', home: /^test\/repository\/[^/]+\.spec\.ts$/ },
  { tier: 'deployment files', home: /^deploy\/test\/[^/]+\.spec\.ts$/ },
];
/** Tier suffixes that mean one thing each: `.e2e` only for test/e2e, `.browser` only for test/browser. */
const TIER_SUFFIX = /\.(?:e2e|browser)\.spec\.ts$/;

/** Why `path` is not where the layout puts a spec, or undefined when it is. */
function misplacement(path: string, exists: (path: string) => boolean): string | undefined {
  const tier = TIERS.find(({ home }) => home.test(path));
  if (!tier) return "not in any tier's home";
  if (tier.name && !tier.name.test(path)) return `the ${tier.tier} tier names its specs ${tier.name.source}`;
  if (!tier.name && TIER_SUFFIX.test(path)) return `${path.match(TIER_SUFFIX)?.[0]} belongs to another tier`;
  if (tier.subjectBeside && !exists(path.replace(/\.spec\.ts$/, '.ts')))
    return 'a unit spec is named after the file beside it (x.spec.ts beside x.ts)';
  return undefined;
}

/** Test code: specs, test helpers, benches; not test/support (the helpers' home) nor this file (its examples). */
const SELF = relative(ROOT, __filename);
const isTestCode = (path: string) =>
  /\.spec\.ts$|(?:^|\/)test\/|^bench\/|\.bench\.ts$/.test(path) && !path.startsWith('test/support/') && path !== SELF;

/** Patterns that are a second copy of a test/support helper. */
const DUPLICATE_HELPERS: Array<{ helper: string; pattern: RegExp; allowed?: Record<string, string> }> = [
  { helper: 'until / sleep (test/support/until.ts)', pattern: /\b(?:function|const|let)\s+(?:until|waitFor|waitUntil|sleep|eventually)\b/ },
  { helper: 'sleep (test/support/until.ts)', pattern: /new Promise(?:<[^>]*>)?\(\s*\(?(\w+)\)?\s*=>\s*setTimeout\(\s*\1\s*,/ },
  { helper: 'sleep (test/support/until.ts)', pattern: /node:timers\/promises/ },
  { helper: 'until (test/support/until.ts)', pattern: /\bvi\.(?:waitFor|waitUntil)\(|\bexpect\.poll\(/ },
  {
    helper: 'ManualTimers (test/support/manual-timers.ts)',
    pattern: /\bvi\.useFakeTimers\(|\bimplements\s+(?:ProbeScheduler|LeaseRenewalTimer)\b/,
    allowed: { 'libs/domain/src/scheduled-job.spec.ts': 'the runner owns real timers and a cron: fake timers are its only clock' },
  },
  {
    helper: 'FakeFaceAnalyzer (test/support/fake-face-analyzer.ts)',
    pattern: /\bimplements\s+(?:Content)?FaceAnalyzer\b/,
    allowed: {
      'apps/face-recognition/test/dominant-face.spec.ts': 'the real ONNX engine behind the port, not a fake',
      'bench/identity/production.ts': 'replays a dump of real analyses',
    },
  },
];

function duplicateHelpers(path: string, text: string): string[] {
  return DUPLICATE_HELPERS.filter(({ pattern, allowed }) => pattern.test(text) && !allowed?.[path]).map(
    ({ helper }) => `${path}: a second ${helper}`,
  );
}

describe('test layout', () => {
  const files = walk('');
  const specs = files.filter((path) => path.endsWith('.spec.ts'));
  const exists = (path: string) => existsSync(join(ROOT, path));

  it('finds the specs of every tier (the walk itself works)', () => {
    expect(specs.length).toBeGreaterThan(100);
    for (const { tier, home } of TIERS)
      expect(
        specs.some((path) => home.test(path)),
        tier,
      ).toBe(true);
  });

  it("puts every spec in its tier's home, named after its subject where a rule can say so", () => {
    const misplaced = specs.flatMap((path) => {
      const why = misplacement(path, exists);
      return why ? [`${path}: ${why}`] : [];
    });
    expect(misplaced).toEqual([]);
  });

  it('refuses what the rules are there to refuse', () => {
    const only = (present: string[]) => (path: string) => present.includes(path);
    expect(misplacement('apps/receiver/src/request-id.e2e.spec.ts', only([]))).toBeDefined();
    expect(misplacement('apps/receiver/test/request-id.e2e.spec.ts', only([]))).toMatch(/another tier/);
    expect(misplacement('apps/receiver/src/images/dto-validation.spec.ts', only([]))).toMatch(/beside/);
    expect(misplacement('apps/receiver/src/images/images.service.spec.ts', only(['apps/receiver/src/images/images.service.ts']))).toBeUndefined();
    expect(misplacement('test/e2e/pipeline.spec.ts', only([]))).toMatch(/names its specs/);
    expect(misplacement('test/enrolment/dominant-face.spec.ts', only([]))).toMatch(/not in any tier/);
    expect(
      duplicateHelpers('apps/x/test/a.spec.ts', 'const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));'),
    ).toHaveLength(2);
    expect(duplicateHelpers('apps/x/test/a.spec.ts', 'await vi.waitFor(() => expect(1).toBe(1));')).toHaveLength(1);
    expect(duplicateHelpers('apps/x/test/a.spec.ts', 'class Scripted implements FaceAnalyzer {}')).toHaveLength(1);
  });

  it('keeps one polling helper, one sleep, one fake recognizer and one clock: those of test/support', () => {
    const duplicates = files.filter(isTestCode).flatMap((path) => duplicateHelpers(path, readFileSync(join(ROOT, path), 'utf8')));
    expect(duplicates).toEqual([]);
  });
});

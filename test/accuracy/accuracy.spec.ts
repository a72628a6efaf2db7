import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigService, parseConfig, VisageConfig } from '@visage/config';
import { FaceAnalysis, FaceAnalysisError, FaceQualityRule, judgeFaceQuality, MatchRule } from '@visage/domain';
import { KnownFacesEnroller, KnownFacesReport } from '@visage/enrolment';
import { assignJointly, Gallery, GalleryMatch, matchRuleOf, qualityRuleOf } from '@visage/matcher';
import { PersonImageRepository } from '@visage/persistence';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { MARIADB_DRIVER, MigratedTestDatabase, openTestDatabase } from '../../libs/persistence/test/test-databases';
import { FACES_DIR, facesAvailable, FaceLabel, loadFaceLabels, noLabelledFacesReason } from '../support/faces';
import { createFaceRecognitionApp, FaceRecognitionApp } from '../../apps/face-recognition/src';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_ENV } from '../../libs/recognizer-client/test/test-token';

interface Row {
  file: string;
  expected: string;
  got: string;
  distances: string;
  verdict: 'ok' | 'FAIL' | 'ok (hard: missed)';
  problems: string[];
}

function describeMatch(match: GalleryMatch | undefined): string {
  if (!match) return '-';
  return `${match.matched ? '' : '~'}${match.personName} ${match.distance.toFixed(3)}`;
}

/**
 * Judges one labelled file against the service's answer (or error), following SOURCES.md:
 * expected persons found (hard files may miss some), nobody else named, zero faces in non-faces,
 * the labelled error (or, where optional, a normal result).
 */
interface Judging {
  gallery: Gallery;
  names: Map<number, string>;
  rule: MatchRule;
  quality: FaceQualityRule;
}

function judge(file: string, label: FaceLabel, outcome: FaceAnalysis | FaceAnalysisError, { gallery, names, rule, quality }: Judging): Row {
  const problems: string[] = [];
  const expectedPersons = label.persons ?? [];
  const expected = label.error
    ? `error ${label.error}${label.error_optional ? ` or ${label.faces ?? 0} face(s) [${expectedPersons.join(', ')}]` : ''}`
    : `${label.faces ?? '?'} face(s) [${expectedPersons.join(', ')}]`;
  if (outcome instanceof FaceAnalysisError) {
    const ok = label.error !== undefined && outcome.message.includes(label.error) && outcome.kind === 'permanent';
    if (!ok) problems.push(`unexpected error ${outcome.message}`);
    return { file, expected, got: `${outcome.code} ${outcome.message.slice(0, 60)}`, distances: '', verdict: ok ? 'ok' : 'FAIL', problems };
  }
  if (label.error && !label.error_optional) problems.push(`expected error ${label.error}, got ${outcome.faces.length} face(s)`);
  const matches = outcome.faces.map((face) => gallery.match(face.descriptor, rule));
  // Named as the processor names them: together (nobody twice), a low-quality face never.
  const identities = assignJointly(
    outcome.faces.map((face) => ({ descriptor: face.descriptor, lowQuality: face.quality && judgeFaceQuality(face.quality, quality).lowQuality })),
    (descriptor, excluded) => gallery.match(descriptor, rule, excluded),
  );
  const named = identities.flatMap((identity) => (identity.personId === null ? [] : [names.get(identity.personId) ?? `person ${identity.personId}`]));
  const wrong = named.filter((name) => !expectedPersons.includes(name));
  if (wrong.length > 0) problems.push(`named wrong person(s): ${wrong.join(', ')}`);
  const duplicates = named.filter((name, index) => named.indexOf(name) !== index);
  if (duplicates.length > 0) problems.push(`named ${duplicates.join(', ')} more than once`);
  const missed = expectedPersons.filter((name) => !named.includes(name));
  if (missed.length > 0 && !label.hard) problems.push(`missed ${missed.join(', ')}`);
  if (file.startsWith('nonfaces/') && !label.hard && outcome.faces.length > 0) problems.push(`${outcome.faces.length} face(s) in a non-face image`);
  const verdict = problems.length > 0 ? 'FAIL' : missed.length > 0 ? 'ok (hard: missed)' : 'ok';
  return {
    file,
    expected,
    got: `${outcome.faces.length} face(s) [${named.join(', ')}]`,
    distances: matches.map(describeMatch).join('; '),
    verdict,
    problems,
  };
}

const skipReason = noLabelledFacesReason('accuracy test on the labelled faces');
if (skipReason) console.warn(skipReason);

describe.skipIf(!facesAvailable())('accuracy on ../shared/faces through the gRPC service', () => {
  let app: FaceRecognitionApp;
  let client: GrpcFaceAnalyzer;
  let database: MigratedTestDatabase;
  let repository: PersonImageRepository;
  let config: VisageConfig;
  let enrolment: KnownFacesReport;

  beforeAll(async () => {
    config = parseConfig({ IMAGES_ROOT: FACES_DIR, KNOWN_FACES_DIR: 'known', LOG_LEVEL: 'warn', ...TEST_RECOGNIZER_ENV });
    app = await createFaceRecognitionApp(config);
    const { grpcPort } = await app.start({ grpcPort: 0, healthPort: 0, host: '127.0.0.1' });
    client = new GrpcFaceAnalyzer({ address: `127.0.0.1:${grpcPort}`, deadlineMs: 120_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
    database = await openTestDatabase(MARIADB_DRIVER, 'visage_accuracy');
    repository = new PersonImageRepository(database.dataSource);
    await app.ready();
    enrolment = await new KnownFacesEnroller(repository, client, new ConfigService(config)).enrolAll();
  }, 600_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await database?.close();
  });

  it('enrols every file of known/ (each holds exactly one face)', () => {
    expect(enrolment.skipped).toEqual([]);
    expect(enrolment.failed).toEqual([]);
    expect(enrolment.enrolled.length).toBeGreaterThanOrEqual(20);
  });

  it('names the labelled persons, never a wrong one, finds no face in non-faces and the labelled errors in bad/', async () => {
    const { entries } = await repository.loadGallery();
    const gallery = new Gallery(entries);
    const names = new Map(entries.map((entry) => [entry.personId, entry.personName]));
    const rule = matchRuleOf(config);
    const labels = loadFaceLabels();
    const files = Object.keys(labels).sort();
    // Two requests in flight: both workers busy, the order of the table stays the file order.
    const outcomes = new Map<string, FaceAnalysis | FaceAnalysisError>();
    for (let index = 0; index < files.length; index += 2) {
      await Promise.all(
        files.slice(index, index + 2).map(async (file) => {
          try {
            outcomes.set(file, await client.analyze(file));
          } catch (error) {
            if (!(error instanceof FaceAnalysisError)) throw error;
            outcomes.set(file, error);
          }
        }),
      );
    }
    const rows = files.map((file) =>
      judge(file, labels[file], outcomes.get(file) as FaceAnalysis | FaceAnalysisError, { gallery, names, rule, quality: qualityRuleOf(config) }),
    );

    // Distances seen: correct matches vs the nearest wrong person, to show the margin around MATCH_THRESHOLD.
    console.log(
      `\nMATCH_THRESHOLD ${rule.threshold}, MATCH_MARGIN ${rule.margin}, MIN_DETECTION_SCORE ${config.MIN_DETECTION_SCORE}, gallery ${gallery.size} descriptors of ${gallery.persons} persons`,
    );
    console.table(
      rows.map(({ file, expected, got, distances, verdict }) => ({ file, expected, got, verdict, 'nearest (~ = above threshold)': distances })),
    );
    const failures = rows.filter((row) => row.verdict === 'FAIL').map((row) => `${row.file}: ${row.problems.join('; ')}`);
    expect(failures).toEqual([]);
  }, 900_000);
});

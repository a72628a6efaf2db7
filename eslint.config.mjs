import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const APPS = readdirSync(new URL('./apps', import.meta.url)).sort();
const LIBS = readdirSync(new URL('./libs', import.meta.url)).sort();
/**
 * The order of the libs, lowest first, as drawn in docs/architecture.md ("Layers"): a lib imports only libs of
 * lower layers, never one of its own layer or above, so nothing below reaches what is above it and no cycle can
 * form. Apps sit above every layer. A new lib is placed here (the config refuses to load otherwise).
 */
export const LIB_LAYERS = [
  ['domain', 'access', 'onnx-graph'],
  ['config', 'storage'],
  ['validation', 'health', 'observability'],
  ['persistence'],
  ['queue', 'recognizer-client', 'matcher', 'auth'],
  ['image-queue', 'enrolment'],
];
const TEST_FILES = ['**/*.spec.ts', '**/test/**/*.ts', '**/*.bench.ts'];
const either = (names) => `(?:${names.join('|')})`;

const layered = LIB_LAYERS.flat();
const unplaced = LIBS.filter((lib) => !layered.includes(lib));
const vanished = layered.filter((lib) => !LIBS.includes(lib));
if (unplaced.length > 0 || vanished.length > 0 || new Set(layered).size !== layered.length) {
  throw new Error(
    `LIB_LAYERS must place every lib of libs/ once (not placed: ${unplaced.join(', ') || '-'}; not in libs/: ${vanished.join(', ') || '-'})`,
  );
}

/** The libs a lib may not import: those of its own layer and above. */
function libsAtOrAbove(lib) {
  const layer = LIB_LAYERS.findIndex((names) => names.includes(lib));
  return LIB_LAYERS.slice(layer)
    .flat()
    .filter((other) => other !== lib);
}

/** The database driver packages: only libs/persistence talks to the database. */
const DATABASE_PACKAGES = ['typeorm', '@nestjs/typeorm', 'mysql2', 'mysql2/*', 'better-sqlite3'];

/**
 * Errors: repositories report domain codes (`PersistenceError`), so no one outside libs/persistence inspects a
 * TypeORM error or asks whether a driver error was a unique/foreign-key violation or a deadlock.
 */
const DRIVER_ERROR_IMPORTS = [
  {
    name: 'typeorm',
    importNames: ['QueryFailedError', 'TypeORMError', 'EntityNotFoundError', 'EntityPropertyNotFoundError'],
    message: 'Driver errors stay in libs/persistence: a repository returns or throws a PersistenceError code.',
  },
  {
    name: '@visage/persistence',
    importNames: ['isUniqueViolation', 'isForeignKeyViolation', 'isDeadlock', 'driverErrorOf'],
    message: 'Driver errors stay in libs/persistence: a repository returns or throws a PersistenceError code.',
  },
];

/** `x instanceof Error ? x.message : String(x)` written by hand: describeError (`@visage/domain`) is the one way. */
const HAND_WRITTEN_DESCRIBE_ERROR = [
  {
    selector:
      "ConditionalExpression[test.operator='instanceof'][test.right.name='Error']:matches([alternate.callee.name='String'], [consequent.property.name='message'])",
    message: 'Use describeError(error) from @visage/domain.',
  },
];

/**
 * Errors thrown on purpose carry a code: a class extends `CodedError` (@visage/domain) with its module's list of
 * codes, never `Error` itself. Besides the base, two classes keep their own shape ({@link ERROR_SHAPE_OWNERS}).
 */
const UNCODED_ERROR_CLASS = [
  {
    selector: ":matches(ClassDeclaration, ClassExpression)[superClass.type='Identifier'][superClass.name='Error']",
    message: 'Extend CodedError (@visage/domain) with a code from the module\'s one list: see "How to add an error" in docs/architecture.md.',
  },
];
/**
 * The base itself; the recognizer port's `FaceAnalysisError` (its `kind` decides retrying, its `code` is the gRPC
 * status name the adapter saw, its `reason` the recognizer's code); the recognizer's gRPC answer `AnalysisError`,
 * whose code is a gRPC status number (a transport's error, as an HttpException is).
 */
const ERROR_SHAPE_OWNERS = ['libs/domain/src/errors.ts', 'libs/domain/src/face-analyzer.ts', 'apps/face-recognition/src/analysis/analysis-error.ts'];

/**
 * Scheduled work: a periodic task declares a `ScheduledJob` (@visage/domain), the one runner that owns timers,
 * locks, overlap, failure logging and the stop. Nothing else calls `setInterval` or builds a cron job, except the
 * runner and the code that needs a timer while something else runs ({@link TIMER_OWNERS}).
 */
const SCHEDULING_MESSAGE = 'Periodic work is a ScheduledJob (@visage/domain): see "How to add a job" in docs/architecture.md.';
const OWN_SCHEDULING = [
  // @nestjs/schedule stays allowed: its SchedulerRegistry holds the cron jobs the runner builds (the retry job).
  { selector: "ImportDeclaration[source.value='cron']", message: SCHEDULING_MESSAGE },
];
const NO_SET_INTERVAL = ['error', { name: 'setInterval', message: SCHEDULING_MESSAGE }];
/**
 * Timers that are not scheduled work: the runner itself, the lease renewal of an image being processed, the
 * touch of an NSQ message in flight, the NSQ test server's heartbeat and the re-match bench's memory sampler.
 */
const TIMER_OWNERS = [
  'libs/domain/src/scheduled-job.ts',
  'apps/image-processor/src/processing/process-image.service.ts',
  'libs/queue/src/delivery/message-dispatcher.ts',
  'test/nsq/nsq-test-server.ts',
  'bench/rematch.ts',
];

/**
 * Configuration: code reads the parsed, validated config (`ConfigService` / `VisageConfig` from @visage/config),
 * never `process.env`, so every variable is checked at boot and has one meaning. Tests, benches, scripts and the
 * deploy checks build their own environments; the exceptions in the apps and libs say why.
 */
const ENVIRONMENT_READERS = [
  'libs/config/src/**',
  // Writes ONNX Runtime's telemetry switch, which the native library reads from the environment (not config).
  'libs/onnx-graph/src/onnx-runtime.ts',
];
const NO_PROCESS_ENV = [
  'error',
  { object: 'process', property: 'env', message: 'Read the configuration from ConfigService (@visage/config); a new variable goes into its schema.' },
];

/**
 * Requests: an HTTP app takes a query with `@ValidQuery(schema)` and a JSON body with `@ValidBody(schema)`
 * (@visage/validation), which validate and document it from one schema. The dashboard takes its urlencoded forms
 * with `@ValidForm(schema)` ({@link FORM_READER}, the one file that may use `@Body()`).
 */
const FORM_READER = 'apps/frontend/src/common/form.ts';
function requestInputImports(app, formReader) {
  const message =
    app === 'receiver'
      ? 'Take a query with @ValidQuery(schema) and a body with @ValidBody(schema) from @visage/validation.'
      : 'Take a query with @ValidQuery(schema) from @visage/validation and a form with @ValidForm(schema) (common/form.ts).';
  return [
    { name: '@nestjs/common', importNames: formReader ? ['Query'] : ['Query', 'Body'], message },
    { name: '@nestjs/swagger', importNames: ['ApiBody', 'ApiQuery'], message },
  ];
}

/**
 * The boundaries of docs/architecture.md, per folder, specs included:
 * - only libs/persistence uses TypeORM and the drivers (tests may seed and inspect a database directly);
 * - libs never import apps; apps never import each other, except apps/embedded (the composition root),
 *   and it only through each app's index.ts;
 * - a lib is imported through `@visage/<lib>` (its index.ts), never by a path into its `src`; test helpers
 *   in `libs/<lib>/test` are for tests;
 * - production code never imports a test folder (`test/`, `apps|libs/<x>/test`), `bench/` or `deploy/`;
 * - the recognizer never reaches persistence;
 * - a lib imports only libs of lower layers ({@link LIB_LAYERS}).
 */
function boundaries({ folder, name, test, formReader = false }) {
  const paths = [];
  const patterns = [];
  if (!(folder === 'libs' && name === 'persistence')) {
    // Outside tests the whole of typeorm is refused below; tests may use it, but not to inspect driver errors.
    paths.push(...DRIVER_ERROR_IMPORTS.filter((entry) => test || entry.name !== 'typeorm'));
  }
  if (!(folder === 'libs' && name === 'persistence') && !test) {
    paths.push(
      ...DATABASE_PACKAGES.filter((pkg) => !pkg.includes('*')).map((pkg) => ({
        name: pkg,
        message: 'Only libs/persistence talks to the database: add a repository there.',
      })),
    );
    patterns.push({ group: ['mysql2/*'], message: 'Only libs/persistence talks to the database.' });
  }
  if (folder === 'apps' && (name === 'receiver' || name === 'frontend') && !test) paths.push(...requestInputImports(name, formReader));
  const otherApps = APPS.filter((app) => app !== name);
  if (folder === 'libs') {
    patterns.push({ regex: '(?:^|/)apps/', message: 'Libs never import apps.' });
    const above = libsAtOrAbove(name);
    if (above.length > 0) {
      patterns.push({
        regex: `^@visage/${either(above)}(?:/|$)`,
        message: `A lib imports only libs of lower layers (LIB_LAYERS, docs/architecture.md "Layers"); ${name} may not import this one.`,
      });
    }
  } else if (name === 'embedded') {
    patterns.push({
      regex: `^(?:\\.\\./)+(?:apps/)?${either(otherApps)}/(?:src/.+|test(?:/|$))`,
      message: 'apps/embedded imports an app through its index.ts (`../../<app>/src`).',
    });
  } else {
    patterns.push({
      regex: `^(?:\\.\\./)+(?:apps/)?${either(otherApps)}/(?:src|test)(?:/|$)`,
      message: 'Apps never import each other; share code through a lib.',
    });
  }
  const otherLibs = LIBS.filter((lib) => !(folder === 'libs' && lib === name));
  patterns.push({
    regex: `^(?:\\.\\./)+(?:libs/)?${either(otherLibs)}/src(?:/|$)`,
    message: 'Import a lib through `@visage/<lib>` (its index.ts).',
  });
  if (!test) {
    patterns.push({
      regex: '^(?:\\.\\.?/)+(?:[^/]+/)*(?:test|bench|deploy)(?:/|$)',
      message: 'Production code never imports tests, benches or deploy/.',
    });
  }
  if (folder === 'apps' && name === 'face-recognition') {
    paths.push({ name: '@visage/persistence', message: 'The recognizer never reaches persistence.' });
    patterns.push({ regex: '(?:^|/)persistence(?:/|$)', message: 'The recognizer never reaches persistence.' });
  }
  return { 'no-restricted-imports': ['error', { paths, patterns }] };
}

/**
 * The folders outside apps/ and libs/ (docs/architecture.md, "How to add a test"):
 * - everywhere: a lib through `@visage/<lib>`, never a path into its `src` (lib test helpers in `libs/<lib>/test`
 *   are fine); no driver-error inspection;
 * - test/support is shared by every tier, so it imports none of them (test/e2e, test/browser, …);
 * - bench/ takes test helpers from test/support (and the NSQ test server), never from a test tier or a spec;
 * - deploy/ describes the deployables: its files import config types (`@visage/config`) and each other, never
 *   apps, tests or benches.
 */
const LIB_SOURCE = { regex: '^(?:\\.\\./)+libs/[^/]+/src(?:/|$)', message: 'Import a lib through `@visage/<lib>` (its index.ts).' };
const outsideBoundaryConfigs = [
  { files: ['test/**/*.ts'], patterns: [LIB_SOURCE] },
  {
    files: ['test/support/**/*.ts'],
    patterns: [
      LIB_SOURCE,
      { regex: '^\\.\\./(?!support/|\\.\\./)[^/]+/', message: 'test/support is shared by every tier: it imports none of them.' },
    ],
  },
  {
    files: ['bench/**/*.ts'],
    patterns: [
      LIB_SOURCE,
      {
        regex: '^(?:\\.\\./)+test/(?!support/|nsq/nsq-test-server$)',
        message: 'A bench takes test helpers from test/support (and the NSQ test server), never from a test tier.',
      },
      { regex: '\\.spec$', message: 'A bench never imports a spec.' },
    ],
  },
  {
    files: ['deploy/*.ts'],
    patterns: [
      LIB_SOURCE,
      { regex: '^\\.\\./(?:apps|libs|test|bench)(?:/|$)', message: 'deploy/ describes the deployables: it imports config types only.' },
    ],
  },
  {
    files: ['deploy/*/**/*.ts'],
    patterns: [
      LIB_SOURCE,
      { regex: '^\\.\\./\\.\\./(?:apps|libs|test|bench)(?:/|$)', message: 'deploy/ describes the deployables: it imports config types only.' },
    ],
  },
].map(({ files, patterns }) => ({ files, rules: { 'no-restricted-imports': ['error', { paths: DRIVER_ERROR_IMPORTS, patterns }] } }));

const boundaryConfigs = [...APPS.map((name) => ({ folder: 'apps', name })), ...LIBS.map((name) => ({ folder: 'libs', name }))]
  .flatMap(({ folder, name }) => [
    { files: [`${folder}/${name}/**/*.ts`], rules: boundaries({ folder, name, test: false }) },
    { files: TEST_FILES.map((glob) => `${folder}/${name}/${glob}`), rules: boundaries({ folder, name, test: true }) },
  ])
  .concat({ files: [FORM_READER], rules: boundaries({ folder: 'apps', name: 'frontend', test: false, formReader: true }) });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-output/**', 'data/**', 'images/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-syntax': ['error', ...HAND_WRITTEN_DESCRIBE_ERROR, ...OWN_SCHEDULING, ...UNCODED_ERROR_CLASS],
      'no-restricted-globals': NO_SET_INTERVAL,
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: [...ENVIRONMENT_READERS, ...TEST_FILES],
    rules: { 'no-restricted-properties': NO_PROCESS_ENV },
  },
  // Tests and benches may throw a plain error of their own (a fake's failure, a test server's protocol error).
  {
    files: [...ERROR_SHAPE_OWNERS, ...TEST_FILES, 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...HAND_WRITTEN_DESCRIBE_ERROR, ...OWN_SCHEDULING] },
  },
  {
    files: TIMER_OWNERS,
    ignores: [...TEST_FILES, 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...HAND_WRITTEN_DESCRIBE_ERROR, ...UNCODED_ERROR_CLASS], 'no-restricted-globals': 'off' },
  },
  {
    files: TIMER_OWNERS.filter((file) => file.startsWith('test/') || file.startsWith('bench/')),
    rules: { 'no-restricted-syntax': ['error', ...HAND_WRITTEN_DESCRIBE_ERROR], 'no-restricted-globals': 'off' },
  },
  // test/, bench/ and deploy/: their own boundaries, and the driver-error rule holds there too.
  ...outsideBoundaryConfigs,
  ...boundaryConfigs,
  // Controllers call their feature's service, which calls the repositories (docs/architecture.md, "a route").
  {
    files: ['apps/*/src/**/*.controller.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...HAND_WRITTEN_DESCRIBE_ERROR,
        ...OWN_SCHEDULING,
        {
          selector: "ImportDeclaration[source.value='@visage/persistence'] > ImportSpecifier[imported.name=/Repository$/]",
          message: "Controllers call services, not repositories: put the read or the change in the feature's service.",
        },
      ],
    },
  },
  /**
   * Type-aware rules over every TypeScript file (one program, tsconfig.json): a promise is awaited, returned or
   * marked `void` with a reason; no promise where a callback's result is ignored; `await` only on thenables;
   * a switch over a union handles every member, or says with `default:` that the rest is handled alike (zod's
   * issue codes, an env value).
   */
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['apps/frontend/src/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);

import { describe, expect, it } from 'vitest';
import { ConfigValidationError, logLevelsUpTo, parseConfig, requireRecognizerToken } from './config.schema';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(env, '/srv/visage');
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('parseConfig', () => {
  it('runs embedded on the defaults: SQLite under ./data, in-process queue, known faces under the images root', () => {
    const config = parseConfig({}, '/srv/visage');
    expect(config.database).toEqual({ type: 'sqlite', file: '/srv/visage/data/visage.sqlite' });
    expect(config.queue).toEqual({ driver: 'in-process' });
    expect(config.storage).toEqual({ imagesRoot: '/srv/visage/images', knownFacesDir: '/srv/visage/images/known', maxUploadBytes: 20 * 1024 * 1024 });
    expect(config.RECEIVER_PORT).toBe(8000);
    expect(config.FACE_DESCRIPTOR_RECIPE).toBe('mobilefacenet');
    expect([config.MATCH_THRESHOLD, config.MATCH_MARGIN, config.CLUSTER_THRESHOLD]).toEqual([0.52, 0.03, 0.48]);
  });

  it('takes the thresholds the recipe was measured at unless they are set, whatever the recipe', () => {
    const pointOf = (env: NodeJS.ProcessEnv) => {
      const config = parseConfig(env, '/srv/visage');
      return [config.MATCH_THRESHOLD, config.MATCH_MARGIN, config.CLUSTER_THRESHOLD];
    };
    expect(pointOf({ FACE_DESCRIPTOR_RECIPE: 'chip-flip' })).toEqual([0.5, 0.08, 0.44]);
    expect(pointOf({ FACE_DESCRIPTOR_RECIPE: 'crop' })).toEqual([0.49, 0.08, 0.46]);
    expect(pointOf({ FACE_DESCRIPTOR_RECIPE: 'crop', MATCH_THRESHOLD: '0.6', MATCH_MARGIN: '0', CLUSTER_THRESHOLD: '0.4' })).toEqual([0.6, 0, 0.4]);
    expect(pointOf({ MATCH_MARGIN: '0.1' })).toEqual([0.52, 0.1, 0.48]);
  });

  it('refuses the mobilefacenet recipe on the TensorFlow.js engines, which cannot run an ONNX model', () => {
    for (const engine of ['wasm', 'tensorflow']) {
      expect(problemsOf({ FACE_ENGINE: engine }).map((problem) => problem.split(':')[0])).toEqual(['FACE_ENGINE']);
      expect(parseConfig({ FACE_ENGINE: engine, FACE_DESCRIPTOR_RECIPE: 'chip-flip' }, '/srv/visage').FACE_ENGINE).toBe(engine);
    }
    expect(parseConfig({ FACE_ENGINE: 'onnx' }, '/srv/visage').FACE_DESCRIPTOR_RECIPE).toBe('mobilefacenet');
  });

  it('reads a MySQL URL (credentials decoded) and the NSQ addresses', () => {
    const config = parseConfig({
      DATABASE_URL: 'mysql://vis%40ge:p%3Ass@db.internal:3307/visage',
      NSQLOOKUPD_HTTP_ADDRESSES: 'lookupd-0:4161, lookupd-1:4161',
      NSQD_TCP_ADDRESS: '127.0.0.1:4150',
      KNOWN_FACES_DIR: '/faces/known',
    });
    expect(config.database).toMatchObject({
      type: 'mysql',
      host: 'db.internal',
      port: 3307,
      username: 'vis@ge',
      password: 'p:ss',
      database: 'visage',
    });
    expect(config.queue).toEqual({
      driver: 'nsq',
      lookupdHttpAddresses: ['lookupd-0:4161', 'lookupd-1:4161'],
      nsqdTcpAddresses: [],
      publishAddress: '127.0.0.1:4150',
      publishHttpAddress: '127.0.0.1:4151', // nsqd's HTTP port beside its TCP one by default
    });
    expect(config.storage.knownFacesDir).toBe('/faces/known');
    const explicit = parseConfig({ NSQD_TCP_ADDRESSES: 'nsqd:4150', NSQD_HTTP_ADDRESS: 'nsqd:9151' });
    expect(explicit.queue).toMatchObject({ publishAddress: 'nsqd:4150', publishHttpAddress: 'nsqd:9151' });
  });

  it('refuses an admin key or session secret that is short or the documentation placeholder, and takes a random one', () => {
    const placeholder = 'change-me-openssl-rand-base64-32-xxxxxxxx';
    expect(problemsOf({ ADMIN_API_KEY: placeholder, SESSION_SECRET: 'CHANGE_ME-before-deploying-0123456789abcdef' })).toEqual([
      'ADMIN_API_KEY: is the documentation placeholder: set a fresh value (openssl rand -base64 32)',
      'SESSION_SECRET: is the documentation placeholder: set a fresh value (openssl rand -base64 32)',
    ]);
    expect(problemsOf({ ADMIN_API_KEY: 'too-short' })).toEqual(['ADMIN_API_KEY: must be at least 32 characters (openssl rand -base64 32)']);
    const random = 'q3J9xVb1m2Lr8TnWc5ZpYk0aHs7Ue4Gd6Fo+Ij/N1Ew=';
    expect(parseConfig({ ADMIN_API_KEY: random, SESSION_SECRET: random }, '/srv/visage')).toMatchObject({
      ADMIN_API_KEY: random,
      SESSION_SECRET: random,
    });
  });

  it('listens on loopback by default, trusts no proxy by default, and checks the proxy ranges and the TLS files', () => {
    const config = parseConfig({}, '/srv/visage');
    expect(config.BIND_HOST).toBe('127.0.0.1');
    expect(config.TRUSTED_PROXIES).toEqual([]);
    expect(config.RECOGNIZER_TOKEN).toBeUndefined();
    expect(parseConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7, fd00::/8' }, '/srv/visage').TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      '192.0.2.7',
      'fd00::/8',
    ]);
    expect(problemsOf({ TRUSTED_PROXIES: '10.0.0.0/33' })).toEqual(['TRUSTED_PROXIES.0: must be an IP address or CIDR range, e.g. 10.0.0.0/8']);
    expect(problemsOf({ TRUSTED_PROXIES: 'everyone' })).toHaveLength(1);
    expect(problemsOf({ RECOGNIZER_TOKEN: 'change-me-openssl-rand-base64-32-xxxxxxxx' })).toEqual([
      'RECOGNIZER_TOKEN: is the documentation placeholder: set a fresh value (openssl rand -base64 32)',
    ]);
    expect(problemsOf({ GRPC_TLS_CERT: '/tls/cert.pem' })).toEqual([
      'GRPC_TLS_CERT, GRPC_TLS_KEY: set both (the certificate and its private key) or neither',
    ]);
    expect(problemsOf({ GRPC_TLS_CA: '/tls/ca.pem' })).toHaveLength(1);
    expect(() => requireRecognizerToken(config)).toThrow(/RECOGNIZER_TOKEN: required/);
  });

  it('refuses a secret with too little entropy, however long', () => {
    expect(problemsOf({ ADMIN_API_KEY: 'a'.repeat(64) })).toEqual([
      'ADMIN_API_KEY: has too little entropy (repeated characters): set a random value (openssl rand -base64 32)',
    ]);
    expect(problemsOf({ SESSION_SECRET: 'abc'.repeat(20) })).toHaveLength(1);
    expect(parseConfig({ ADMIN_API_KEY: '3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e' }, '/srv').ADMIN_API_KEY).toBeDefined(); // openssl rand -hex 16
  });

  it('names every bad variable in one error, not only the first', () => {
    const problems = problemsOf({
      DATABASE_URL: 'postgres://db/visage',
      RECEIVER_PORT: 'eighty',
      MATCH_THRESHOLD: '-1',
      LOG_LEVEL: 'loud',
      NSQLOOKUPD_HTTP_ADDRESSES: 'lookupd:4161,not an address',
    });
    for (const name of ['DATABASE_URL', 'RECEIVER_PORT', 'MATCH_THRESHOLD', 'LOG_LEVEL', 'NSQLOOKUPD_HTTP_ADDRESSES']) {
      expect(
        problems.some((problem) => problem.startsWith(`${name}`)),
        name,
      ).toBe(true);
    }
    expect(problems).toHaveLength(5);
  });

  it('reads the observability settings: LOG_FORMAT, OTEL_EXPORTER_OTLP_ENDPOINT (empty = unset, otherwise an http(s) URL)', () => {
    expect(parseConfig({}, '/srv').LOG_FORMAT).toBeUndefined();
    expect(parseConfig({ LOG_FORMAT: 'json', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, '/srv')).toMatchObject({
      LOG_FORMAT: 'json',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, '/srv').OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(
      problemsOf({ LOG_FORMAT: 'xml', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })
        .map((problem) => problem.split(':')[0])
        .sort(),
    ).toEqual(['LOG_FORMAT', 'OTEL_EXPORTER_OTLP_ENDPOINT']);
  });

  it('names every broken rule between variables in one error, not only the first', () => {
    expect(
      problemsOf({
        NSQLOOKUPD_HTTP_ADDRESSES: 'lookupd:4161',
        GRPC_TLS_CERT: '/tls/cert.pem',
        WEBHOOK_URLS: 'https://a.example/hook',
        MAX_IMAGE_BYTES: '5000',
        MAX_UPLOAD_BYTES: '6000',
      }).map((problem) => problem.split(':')[0]),
    ).toEqual(['NSQD_TCP_ADDRESS', 'GRPC_TLS_CERT, GRPC_TLS_KEY', 'WEBHOOK_SECRET', 'MAX_UPLOAD_BYTES']);
    expect(problemsOf({ GRPC_TLS_CA: '/tls/ca.pem', GRPC_TLS_KEY: '/tls/key.pem' })).toEqual([
      'GRPC_TLS_CERT, GRPC_TLS_KEY: set both (the certificate and its private key) or neither',
      'GRPC_TLS_CA: needs GRPC_TLS_CERT and GRPC_TLS_KEY (TLS is on only with a certificate)',
    ]);
  });

  it('keeps each variable as given and derives the paths in a group of their own', () => {
    const config = parseConfig({ IMAGES_ROOT: 'pictures', KNOWN_FACES_DIR: 'people' }, '/srv/visage');
    expect(config.storage).toMatchObject({ imagesRoot: '/srv/visage/pictures', knownFacesDir: '/srv/visage/pictures/people' });
    // The variables the group replaces are not in the parsed config, so nothing reads a relative root by mistake.
    expect(config).not.toHaveProperty('IMAGES_ROOT');
    expect(config).not.toHaveProperty('KNOWN_FACES_DIR');
    expect(config).not.toHaveProperty('MAX_UPLOAD_BYTES');
  });

  it('requires the local nsqd to publish to once NSQ is configured', () => {
    expect(problemsOf({ NSQLOOKUPD_HTTP_ADDRESSES: 'lookupd:4161' })).toEqual([expect.stringMatching(/^NSQD_TCP_ADDRESS: required/)]);
  });

  it('reads WEBHOOK_URLS as a list of http(s) URLs and requires WEBHOOK_SECRET with them', () => {
    expect(parseConfig({}, '/srv')).toMatchObject({ WEBHOOK_URLS: [], WEBHOOK_MAX_ATTEMPTS: 10 });
    expect(parseConfig({}, '/srv').WEBHOOK_SECRET).toBeUndefined();
    const secret = 'q3J9xVb1m2Lr8TnWc5ZpYk0aHs7Ue4Gd6Fo+Ij/N1Ew=';
    expect(parseConfig({ WEBHOOK_URLS: ' https://a.example/hook , http://b:8080/x ', WEBHOOK_SECRET: secret }, '/srv')).toMatchObject({
      WEBHOOK_URLS: ['https://a.example/hook', 'http://b:8080/x'],
      WEBHOOK_SECRET: secret,
    });
    expect(problemsOf({ WEBHOOK_URLS: 'https://a.example/hook' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: required/)]);
    expect(problemsOf({ WEBHOOK_URLS: 'ftp://a.example/hook', WEBHOOK_SECRET: secret }).map((problem) => problem.split('.')[0])).toEqual([
      'WEBHOOK_URLS',
    ]);
    // The webhook secret follows the rules of the other secrets.
    expect(problemsOf({ WEBHOOK_SECRET: 's3cret' })).toEqual(['WEBHOOK_SECRET: must be at least 32 characters (openssl rand -base64 32)']);
    expect(problemsOf({ WEBHOOK_SECRET: 'change-me-openssl-rand-base64-32-xxxxxxxx' })).toHaveLength(1);
  });

  it('reads OUTCOME_EVENTS_TOPIC: image.outcomes by default, an ephemeral topic, or empty for none; never a name nsqd refuses', () => {
    expect(parseConfig({}, '/srv').OUTCOME_EVENTS_TOPIC).toBe('image.outcomes');
    expect(parseConfig({ OUTCOME_EVENTS_TOPIC: 'image.outcomes#ephemeral' }, '/srv').OUTCOME_EVENTS_TOPIC).toBe('image.outcomes#ephemeral');
    expect(parseConfig({ OUTCOME_EVENTS_TOPIC: '' }, '/srv').OUTCOME_EVENTS_TOPIC).toBe('');
    expect(parseConfig({ OUTCOME_EVENTS_TOPIC: '  ' }, '/srv').OUTCOME_EVENTS_TOPIC).toBe('');
    for (const bad of ['image outcomes', 'image.outcomes#durable', 'x'.repeat(65), 'a/b']) {
      expect(
        problemsOf({ OUTCOME_EVENTS_TOPIC: bad }).map((problem) => problem.split(':')[0]),
        bad,
      ).toEqual(['OUTCOME_EVENTS_TOPIC']);
    }
  });

  it('MAX_UPLOAD_BYTES defaults to MAX_IMAGE_BYTES and may not exceed it', () => {
    expect(parseConfig({ MAX_IMAGE_BYTES: '5000' }).storage.maxUploadBytes).toBe(5000);
    expect(parseConfig({ MAX_IMAGE_BYTES: '5000', MAX_UPLOAD_BYTES: '4000' }).storage.maxUploadBytes).toBe(4000);
    expect(problemsOf({ MAX_IMAGE_BYTES: '5000', MAX_UPLOAD_BYTES: '6000' })).toEqual([
      expect.stringMatching(/^MAX_UPLOAD_BYTES: must not exceed MAX_IMAGE_BYTES/),
    ]);
  });
});

describe('logLevelsUpTo', () => {
  it('keeps the level and every more severe one', () => {
    expect(logLevelsUpTo('warn')).toEqual(['fatal', 'error', 'warn']);
    expect(logLevelsUpTo('verbose')).toHaveLength(6);
  });
});

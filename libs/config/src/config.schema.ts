import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));
/** A secret the operator sets: long enough to be random, and never the documentation's `change-me…` placeholder. */
const operatorSecret = optionalText.pipe(
  z
    .string()
    .min(32, 'must be at least 32 characters (openssl rand -base64 32)')
    .refine((value) => !/change[\s_-]?me/i.test(value), 'is the documentation placeholder: set a fresh value (openssl rand -base64 32)')
    .optional(),
);
const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port');

/** One `host:port`; empty or unset means "not configured". */
const optionalHostPort = optionalText.pipe(hostPort.optional());

/** A comma-separated list of `item`s, blanks around commas ignored; empty or unset means an empty list. */
const commaList = <Item extends z.ZodType<string, string>>(item: Item) =>
  z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

/** An http(s) URL (zod's url() also takes ftp:, mailto: …). */
const httpUrl = z.string().url().regex(/^https?:\/\//, 'must be an http(s) URL');

/** Comma-separated http(s) URLs, each at most 512 characters (the stored webhook endpoint). */
const urlList = commaList(httpUrl.max(512));

/** Comma-separated `host:port` list. */
const hostPortList = commaList(hostPort);

const databaseUrl = z
  .string()
  .trim()
  .default('sqlite:./data/visage.sqlite')
  .refine((value) => /^sqlite:.+/.test(value) || /^mysql:\/\/[^/]+\/[^/?]+/.test(value), {
    message: 'must be mysql://user:pass@host:3306/db or sqlite:<file>',
  });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;

/**
 * Every environment variable Visage reads. Names and defaults are documented in README.md
 * (section "Configuration"); keep both in step.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('log'),
  /** Unset: `json` when NODE_ENV is production, `pretty` otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** OTLP/HTTP collector base URL; set, it turns on OpenTelemetry tracing (read by the SDK, validated here). */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.pipe(httpUrl.optional()),
  DATABASE_URL: databaseUrl,
  IMAGES_ROOT: z.string().trim().min(1).default('./images'),
  KNOWN_FACES_DIR: optionalText,
  /** How often processors check KNOWN_FACES_DIR for added, changed or removed files (0: only at start). */
  KNOWN_FACES_RESCAN_MS: z.coerce.number().int().min(0).default(10_000),
  MAX_IMAGE_BYTES: positiveInt(20 * 1024 * 1024),
  MAX_IMAGE_PIXELS: positiveInt(40_000_000),
  /** Largest uploaded file (POST /images, POST /persons/:id/faces); unset: MAX_IMAGE_BYTES, never more (ingest refuses larger files). */
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().optional(),
  RECEIVER_PORT: port(8000),
  FRONTEND_PORT: port(8081),
  /** Where the frontend sends its actions (retry, add person, enrol a face): the receiver's HTTP API. */
  RECEIVER_URL: z.string().trim().pipe(httpUrl).default('http://127.0.0.1:8000'),
  PROCESSOR_HEALTH_PORT: port(8082),
  FACE_RECOGNITION_PORT: port(50051),
  FACE_RECOGNITION_HEALTH_PORT: port(8083),
  FACE_RECOGNITION_ADDRESS: hostPort.default('127.0.0.1:50051'),
  FACE_RECOGNITION_DEADLINE_MS: positiveInt(30_000),
  /**
   * What the processor sends the recognizer: `path` (it reads IMAGES_ROOT itself: one process, or a shared volume)
   * or `content` (the processor reads the file and sends its bytes: the recognizer needs no images volume).
   */
  FACE_RECOGNITION_INPUT: z.enum(['path', 'content']).default('path'),
  RECOGNIZER_WORKERS: z.coerce.number().int().min(0).default(0),
  RECOGNIZER_QUEUE_SIZE: positiveInt(64),
  MIN_DETECTION_SCORE: z.coerce.number().min(0).max(1).default(0.5),
  FACE_ENGINE: z.enum(['auto', 'onnx', 'wasm', 'tensorflow']).default('auto'),
  FACE_ENGINE_THREADS: positiveInt(1),
  NSQD_TCP_ADDRESS: optionalHostPort,
  /** The local nsqd's HTTP API, where the topic and channel are created at start; default: NSQD_TCP_ADDRESS's port + 1 (4150 → 4151). */
  NSQD_HTTP_ADDRESS: optionalHostPort,
  NSQLOOKUPD_HTTP_ADDRESSES: hostPortList,
  NSQD_TCP_ADDRESSES: hostPortList,
  QUEUE_TOPIC: z.string().trim().regex(/^[.a-zA-Z0-9_-]{1,64}$/).default('images'),
  QUEUE_CHANNEL: z.string().trim().regex(/^[.a-zA-Z0-9_-]{1,64}(#ephemeral)?$/).default('image-processor'),
  QUEUE_MAX_IN_FLIGHT: positiveInt(4),
  /**
   * 10 s rather than nsqd's 60: nsqd gives a dead consumer's in-flight messages back only when they time out, and
   * an image whose message was delivered but not yet claimed has nothing else to bring it back quickly. A running
   * handler is TOUCHed every half of it, so a long analysis is not redelivered.
   */
  QUEUE_MESSAGE_TIMEOUT_MS: positiveInt(10_000),
  QUEUE_REQUEUE_BASE_DELAY_MS: positiveInt(2_000),
  QUEUE_REQUEUE_MAX_DELAY_MS: positiveInt(120_000),
  QUEUE_CLOSE_TIMEOUT_MS: positiveInt(10_000),
  /**
   * 0.55 rather than face-api's customary 0.6: on ../shared/faces the farthest genuine match was 0.531 and the
   * nearest impostor 0.594 (a stranger in groups/compreface_000_5.jpg vs raj), so 0.6 names a stranger.
   */
  MATCH_THRESHOLD: z.coerce.number().positive().max(2).default(0.55),
  /** Unknown faces within this distance of a group's centroid join it (default: MATCH_THRESHOLD). */
  CLUSTER_THRESHOLD: z.coerce.number().positive().max(2).optional(),
  /** How often (at most) a matcher checks the database for enrolment changes. */
  GALLERY_REFRESH_MS: positiveInt(5_000),
  MAX_ATTEMPTS: positiveInt(5),
  /** Every 2 s: the tick is a few indexed queries on one replica, and it bounds how late an expired lease is noticed. */
  RETRY_CRON: z.string().trim().default('*/2 * * * * *'),
  PENDING_STALE_MS: positiveInt(120_000),
  /**
   * Lease of a claim, renewed every third of it while the image is worked on: a crashed consumer's image is taken
   * over after three missed renewals. 10 s so that, with the 2 s retry tick, it is final within 15 s of a crash.
   */
  CLAIM_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(10_000),
  BREAKER_FAILURE_THRESHOLD: positiveInt(5),
  BREAKER_PROBE_INITIAL_MS: positiveInt(10_000),
  BREAKER_PROBE_MAX_MS: positiveInt(300_000),
  /** Endpoints that receive every outcome event by POST (signed with WEBHOOK_SECRET). */
  WEBHOOK_URLS: urlList,
  /** HMAC-SHA256 key of `X-Visage-Signature`; required with WEBHOOK_URLS. */
  WEBHOOK_SECRET: optionalText,
  /** Attempts per event and endpoint before the delivery is given up. */
  WEBHOOK_MAX_ATTEMPTS: positiveInt(10),
  /** Delay after the first failed attempt, doubled per attempt … */
  WEBHOOK_BACKOFF_BASE_MS: positiveInt(1_000),
  /** … up to this. */
  WEBHOOK_BACKOFF_MAX_MS: positiveInt(300_000),
  /** One POST's time limit. */
  WEBHOOK_TIMEOUT_MS: positiveInt(5_000),
  /** `off` only for local experiments: every route is open (each app warns at every start). */
  AUTH: z.enum(['on', 'off']).default('on'),
  /** The admin API key (its sha256 stored at start); unset on a database with no key: one is generated and logged once. */
  ADMIN_API_KEY: operatorSecret,
  /** Signs and encrypts the dashboard's session cookie; unset: a random one per start (sessions end at restart). */
  SESSION_SECRET: operatorSecret,
  /** Submissions (POST /image/post, /images/post, retry) one API key may make per minute. */
  RATE_LIMIT_SUBMIT_PER_MINUTE: positiveInt(6_000),
  /** Failed authentications (no key, unknown key, wrong dashboard login) one client address may make per minute. */
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: positiveInt(30),
});

export type RawConfig = z.infer<typeof configSchema>;

export type DatabaseConfig =
  | { type: 'sqlite'; file: string }
  | { type: 'mysql'; url: string; host: string; port: number; username: string; password: string; database: string };

export type QueueConfig =
  | { driver: 'in-process' }
  | {
      driver: 'nsq';
      lookupdHttpAddresses: string[];
      nsqdTcpAddresses: string[];
      publishAddress: string | undefined;
      /** HTTP API of the nsqd at publishAddress (topic and channel creation). */
      publishHttpAddress: string | undefined;
    };

export interface VisageConfig extends Omit<RawConfig, 'KNOWN_FACES_DIR' | 'MAX_UPLOAD_BYTES'> {
  KNOWN_FACES_DIR: string;
  MAX_UPLOAD_BYTES: number;
  database: DatabaseConfig;
  queue: QueueConfig;
}

function parseDatabaseUrl(value: string, cwd: string): DatabaseConfig {
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length);
    return { type: 'sqlite', file: file === ':memory:' ? file : resolve(cwd, file) };
  }
  const url = new URL(value);
  return {
    type: 'mysql',
    url: value,
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Validates the environment once; every problem is named, not only the first. */
export function parseConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): VisageConfig {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigValidationError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const raw = result.data;
  const imagesRoot = isAbsolute(raw.IMAGES_ROOT) ? raw.IMAGES_ROOT : resolve(cwd, raw.IMAGES_ROOT);
  const knownFacesDir = raw.KNOWN_FACES_DIR
    ? resolve(imagesRoot, raw.KNOWN_FACES_DIR)
    : resolve(imagesRoot, 'known');
  const publishAddress = raw.NSQD_TCP_ADDRESS ?? raw.NSQD_TCP_ADDRESSES[0];
  const queue: QueueConfig =
    raw.NSQLOOKUPD_HTTP_ADDRESSES.length > 0 || raw.NSQD_TCP_ADDRESSES.length > 0
      ? {
          driver: 'nsq',
          lookupdHttpAddresses: raw.NSQLOOKUPD_HTTP_ADDRESSES,
          nsqdTcpAddresses: raw.NSQD_TCP_ADDRESSES,
          publishAddress,
          publishHttpAddress: raw.NSQD_HTTP_ADDRESS ?? nsqdHttpBesides(publishAddress),
        }
      : { driver: 'in-process' };
  if (queue.driver === 'nsq' && !queue.publishAddress) {
    throw new ConfigValidationError(['NSQD_TCP_ADDRESS: required when NSQLOOKUPD_HTTP_ADDRESSES is set (publishers write to their local nsqd)']);
  }
  if (raw.WEBHOOK_URLS.length > 0 && !raw.WEBHOOK_SECRET) {
    throw new ConfigValidationError(['WEBHOOK_SECRET: required when WEBHOOK_URLS is set (every delivery is signed with it)']);
  }
  if (raw.MAX_UPLOAD_BYTES !== undefined && raw.MAX_UPLOAD_BYTES > raw.MAX_IMAGE_BYTES) {
    throw new ConfigValidationError([`MAX_UPLOAD_BYTES: must not exceed MAX_IMAGE_BYTES (${raw.MAX_IMAGE_BYTES}): a larger upload would be stored, then refused at ingest`]);
  }
  return {
    ...raw,
    MAX_UPLOAD_BYTES: raw.MAX_UPLOAD_BYTES ?? raw.MAX_IMAGE_BYTES,
    IMAGES_ROOT: imagesRoot,
    KNOWN_FACES_DIR: knownFacesDir,
    database: parseDatabaseUrl(raw.DATABASE_URL, cwd),
    queue,
  };
}

/** nsqd's default ports are 4150 (TCP) and 4151 (HTTP): the HTTP API sits one port above the TCP one. */
function nsqdHttpBesides(tcpAddress: string | undefined): string | undefined {
  if (!tcpAddress) return undefined;
  const index = tcpAddress.lastIndexOf(':');
  return `${tcpAddress.slice(0, index)}:${Number(tcpAddress.slice(index + 1)) + 1}`;
}

/** Nest logger levels for LOG_LEVEL: that level and every more severe one (`warn` → fatal, error, warn). */
export function logLevelsUpTo(level: VisageConfig['LOG_LEVEL']): Array<(typeof LOG_LEVELS)[number]> {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}

import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { CodedError } from '@visage/domain';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_RECIPES, RECIPE_OPERATING_POINTS } from '@visage/domain';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));
/**
 * Shannon entropy of the characters, times the length: a rough estimate of a secret's bits that tells
 * `aaaa…` (0) or `abcabc…` from a random value (`openssl rand -base64 32`: ≈ 220; `-hex 16`: ≈ 115).
 */
export function estimatedEntropyBits(value: string): number {
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  const perCharacter = [...counts.values()].reduce((sum, count) => sum - (count / value.length) * Math.log2(count / value.length), 0);
  return perCharacter * value.length;
}
const MIN_SECRET_ENTROPY_BITS = 100;

/**
 * A secret the operator sets: long enough to be random, random-looking (not `aaaa…`), and never the
 * documentation's `change-me…` placeholder.
 */
const operatorSecret = optionalText.pipe(
  z
    .string()
    .min(32, 'must be at least 32 characters (openssl rand -base64 32)')
    .refine((value) => !/change[\s_-]?me/i.test(value), 'is the documentation placeholder: set a fresh value (openssl rand -base64 32)')
    .refine(
      (value) => value.length < 32 || estimatedEntropyBits(value) >= MIN_SECRET_ENTROPY_BITS,
      'has too little entropy (repeated characters): set a random value (openssl rand -base64 32)',
    )
    .optional(),
);
/** A file path the operator sets (a PEM certificate or key); empty or unset means "not configured". */
const optionalFile = optionalText;

/** An IPv4/IPv6 address with an optional /prefix (a CIDR range), as Express's `trust proxy` takes it. */
const cidr = z.string().refine((value) => {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}, 'must be an IP address or CIDR range, e.g. 10.0.0.0/8');

/** An interface address to listen on: an IPv4/IPv6 literal or a host name. */
const bindHost = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'must be an interface address such as 127.0.0.1 or 0.0.0.0')
  .default('127.0.0.1');

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
const httpUrl = z
  .string()
  .url()
  .regex(/^https?:\/\//, 'must be an http(s) URL');

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
  /**
   * The interface every port listens on (receiver, dashboard, processor health, recognizer gRPC and health).
   * Loopback by default, so `npm start` on a shared network exposes nothing; containers and k8s set 0.0.0.0.
   */
  BIND_HOST: bindHost,
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
  /**
   * Shared secret every recognizer call carries (gRPC metadata); the recognizer answers nothing else (its health
   * service aside). Required by the separate deployables; embedded mode generates one per start when unset.
   */
  RECOGNIZER_TOKEN: operatorSecret,
  /** PEM certificate and key of the recognizer's gRPC TLS (server) and of its clients (mutual TLS with GRPC_TLS_CA). */
  GRPC_TLS_CERT: optionalFile,
  GRPC_TLS_KEY: optionalFile,
  /** PEM CA: the clients verify the recognizer with it, and the recognizer then requires client certificates it signed. */
  GRPC_TLS_CA: optionalFile,
  RECOGNIZER_WORKERS: z.coerce.number().int().min(0).default(0),
  RECOGNIZER_QUEUE_SIZE: positiveInt(64),
  MIN_DETECTION_SCORE: z.coerce.number().min(0).max(1).default(0.5),
  FACE_ENGINE: z.enum(['auto', 'onnx', 'wasm', 'tensorflow']).default('auto'),
  FACE_ENGINE_THREADS: positiveInt(1),
  /**
   * Which net describes a face, fed what (docs/recognizer.md, "Descriptor recipes"): `mobilefacenet` (a 512-float
   * MobileFaceNet on the ArcFace alignment; measured best on the LFW dev set; ONNX Runtime only), `chip-flip`
   * (FaceRecognitionNet on dlib's face chip and its mirror) or `crop` (FaceRecognitionNet on face-api's crop).
   * Read by the recognizer (what it computes) and the processor (what the gallery and the matcher use; stored faces
   * and enrolments of another recipe are re-described in the background).
   */
  FACE_DESCRIPTOR_RECIPE: z.enum(DESCRIPTOR_RECIPES).default(DEFAULT_DESCRIPTOR_RECIPE),
  NSQD_TCP_ADDRESS: optionalHostPort,
  /** The local nsqd's HTTP API, where the topic and channel are created at start; default: NSQD_TCP_ADDRESS's port + 1 (4150 → 4151). */
  NSQD_HTTP_ADDRESS: optionalHostPort,
  NSQLOOKUPD_HTTP_ADDRESSES: hostPortList,
  NSQD_TCP_ADDRESSES: hostPortList,
  QUEUE_TOPIC: z
    .string()
    .trim()
    .regex(/^[.a-zA-Z0-9_-]{1,64}$/)
    .default('images'),
  QUEUE_CHANNEL: z
    .string()
    .trim()
    .regex(/^[.a-zA-Z0-9_-]{1,64}(#ephemeral)?$/)
    .default('image-processor'),
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
   * A face is named when its nearest person is within MATCH_THRESHOLD and every other person is at least MATCH_MARGIN
   * farther (0: the nearest person within the threshold is named): a stranger tends to fall near several people.
   * Unset, both come from the descriptor recipe's operating point (`RECIPE_OPERATING_POINTS` in libs/domain), taken
   * from the open-set curve of the LFW dev set (`npm run bench:open-set`, docs/recognizer.md "Operating point"):
   * the distances of two recipes are not on one scale, so one number cannot serve both.
   */
  MATCH_THRESHOLD: z.coerce.number().positive().max(2).optional(),
  MATCH_MARGIN: z.coerce.number().min(0).max(2).optional(),
  /**
   * The face quality rule (docs/recognizer.md, "Face quality"): a face smaller than QUALITY_MIN_FACE_PX (its box's
   * smaller side), detected below QUALITY_MIN_SCORE, less sharp than QUALITY_MIN_SHARPNESS (variance of the
   * Laplacian of its 64×64 grey crop) or turned more than QUALITY_MAX_YAW / QUALITY_MAX_PITCH degrees is kept and
   * shown but never named and never enrolled. Limits set where LFW's faces (curated, frontal, ~100 px) thin out,
   * so they flag the clear cases only: 0.9 % of the LFW dev set's faces, none of ../shared/faces. Yaw 60, not
   * 45: the landmark estimate overstates a three-quarter view (the nose tip stands out of the jaw's plane).
   */
  QUALITY_MIN_FACE_PX: z.coerce.number().min(0).default(40),
  QUALITY_MIN_SCORE: z.coerce.number().min(0).max(1).default(0.5),
  QUALITY_MIN_SHARPNESS: z.coerce.number().min(0).default(100),
  QUALITY_MAX_YAW: z.coerce.number().positive().max(90).default(60),
  QUALITY_MAX_PITCH: z.coerce.number().positive().max(90).default(30),
  /**
   * An unknown face joins the group whose members are within this mean distance of it; two groups merge within
   * it (average linkage). Unset: the descriptor recipe's operating point (docs/recognizer.md, "Unknown-people groups").
   */
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
  /**
   * Queue topic the outcome events are published on (docs/events.md); empty: none (webhooks still get every event).
   * A `#ephemeral` topic (compose and k8s) is held in nsqd's memory only: while nobody consumes it, at most
   * `--mem-queue-size` events wait and later ones are dropped, instead of piling up on nsqd's disk without bound.
   */
  OUTCOME_EVENTS_TOPIC: z
    .string()
    .trim()
    .regex(/^([.a-zA-Z0-9_-]{1,64}(#ephemeral)?)?$/, 'an NSQ topic name (letters, digits, ".", "_", "-"; "#ephemeral" allowed), or empty for none')
    .default('image.outcomes'),
  /** Endpoints that receive every outcome event by POST (signed with WEBHOOK_SECRET). */
  WEBHOOK_URLS: urlList,
  /** HMAC-SHA256 key of `X-Visage-Signature`; required with WEBHOOK_URLS. */
  WEBHOOK_SECRET: operatorSecret,
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
  /** A dashboard session unused this long ends (its absolute limit is 12 hours from sign-in). */
  SESSION_IDLE_TIMEOUT_MS: positiveInt(3_600_000),
  /** Submissions (POST /image/post, /images/post, retry) one API key may make per minute. */
  RATE_LIMIT_SUBMIT_PER_MINUTE: positiveInt(6_000),
  /**
   * Proxies (IPs or CIDR ranges) whose X-Forwarded-For and X-Forwarded-Proto are believed; default none, so a
   * client cannot pick the address its failed authentications count against. Behind an ingress: its range.
   */
  TRUSTED_PROXIES: commaList(cidr),
  /** Failed authentications (no key, unknown key, wrong dashboard login) one client address may make per minute. */
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: positiveInt(30),
});

export type RawConfig = z.infer<typeof configSchema>;

export type DatabaseConfig =
  { type: 'sqlite'; file: string } | { type: 'mysql'; url: string; host: string; port: number; username: string; password: string; database: string };

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

/** Where the pictures are, resolved once: absolute paths, the upload limit with its default. */
export interface StorageConfig {
  /** IMAGES_ROOT, absolute (relative to the working directory when given relative). */
  imagesRoot: string;
  /** KNOWN_FACES_DIR, absolute (relative to the images root when given relative; default `<root>/known`). */
  knownFacesDir: string;
  /** MAX_UPLOAD_BYTES, or MAX_IMAGE_BYTES when unset. */
  maxUploadBytes: number;
}

/**
 * The parsed configuration: each variable as validated, and the groups derived from several of them
 * (`database`, `queue`, `storage`). A derived value is a group of its own rather than its variable rewritten in
 * place, so a key always means what the environment said; the variables a group replaces are left out.
 */
export interface VisageConfig extends Omit<
  RawConfig,
  'IMAGES_ROOT' | 'KNOWN_FACES_DIR' | 'MAX_UPLOAD_BYTES' | 'MATCH_THRESHOLD' | 'MATCH_MARGIN' | 'CLUSTER_THRESHOLD'
> {
  /** As set, else the recipe's operating point. */
  MATCH_THRESHOLD: number;
  MATCH_MARGIN: number;
  CLUSTER_THRESHOLD: number;
  database: DatabaseConfig;
  queue: QueueConfig;
  storage: StorageConfig;
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

/** The configuration cannot run: `problems` names each broken variable or rule, one line each. */
export class ConfigValidationError extends CodedError<'invalid_config'> {
  constructor(readonly problems: string[]) {
    super('invalid_config', `Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Validates the environment once; every problem is named, not only the first. */
export function parseConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): VisageConfig {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigValidationError(result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  const raw = result.data;
  const problems = crossFieldProblems(raw);
  if (problems.length > 0) throw new ConfigValidationError(problems);
  const { IMAGES_ROOT, KNOWN_FACES_DIR, MAX_UPLOAD_BYTES, MATCH_THRESHOLD, MATCH_MARGIN, CLUSTER_THRESHOLD, ...values } = raw;
  const imagesRoot = isAbsolute(IMAGES_ROOT) ? IMAGES_ROOT : resolve(cwd, IMAGES_ROOT);
  const operatingPoint = RECIPE_OPERATING_POINTS[raw.FACE_DESCRIPTOR_RECIPE];
  return {
    ...values,
    MATCH_THRESHOLD: MATCH_THRESHOLD ?? operatingPoint.matchThreshold,
    MATCH_MARGIN: MATCH_MARGIN ?? operatingPoint.matchMargin,
    CLUSTER_THRESHOLD: CLUSTER_THRESHOLD ?? operatingPoint.clusterThreshold,
    database: parseDatabaseUrl(raw.DATABASE_URL, cwd),
    queue: queueConfigOf(raw),
    storage: {
      imagesRoot,
      knownFacesDir: resolve(imagesRoot, KNOWN_FACES_DIR ?? 'known'),
      maxUploadBytes: MAX_UPLOAD_BYTES ?? raw.MAX_IMAGE_BYTES,
    },
  };
}

/** Rules between variables, all checked so that one boot names every problem (each variable alone is valid). */
function crossFieldProblems(raw: RawConfig): string[] {
  const problems: string[] = [];
  const usesNsq = raw.NSQLOOKUPD_HTTP_ADDRESSES.length > 0 || raw.NSQD_TCP_ADDRESSES.length > 0;
  if (usesNsq && !(raw.NSQD_TCP_ADDRESS ?? raw.NSQD_TCP_ADDRESSES[0])) {
    problems.push('NSQD_TCP_ADDRESS: required when NSQLOOKUPD_HTTP_ADDRESSES is set (publishers write to their local nsqd)');
  }
  if (Boolean(raw.GRPC_TLS_CERT) !== Boolean(raw.GRPC_TLS_KEY)) {
    problems.push('GRPC_TLS_CERT, GRPC_TLS_KEY: set both (the certificate and its private key) or neither');
  }
  if (raw.GRPC_TLS_CA && !raw.GRPC_TLS_CERT) {
    problems.push('GRPC_TLS_CA: needs GRPC_TLS_CERT and GRPC_TLS_KEY (TLS is on only with a certificate)');
  }
  if (raw.WEBHOOK_URLS.length > 0 && !raw.WEBHOOK_SECRET) {
    problems.push('WEBHOOK_SECRET: required when WEBHOOK_URLS is set (every delivery is signed with it)');
  }
  if (raw.FACE_DESCRIPTOR_RECIPE === 'mobilefacenet' && (raw.FACE_ENGINE === 'wasm' || raw.FACE_ENGINE === 'tensorflow')) {
    problems.push(
      `FACE_ENGINE: ${raw.FACE_ENGINE} (TensorFlow.js) cannot run the mobilefacenet descriptor recipe (an ONNX model): use onnx or auto, or set FACE_DESCRIPTOR_RECIPE=chip-flip`,
    );
  }
  if (raw.MAX_UPLOAD_BYTES !== undefined && raw.MAX_UPLOAD_BYTES > raw.MAX_IMAGE_BYTES) {
    problems.push(
      `MAX_UPLOAD_BYTES: must not exceed MAX_IMAGE_BYTES (${raw.MAX_IMAGE_BYTES}): a larger upload would be stored, then refused at ingest`,
    );
  }
  return problems;
}

function queueConfigOf(raw: RawConfig): QueueConfig {
  if (raw.NSQLOOKUPD_HTTP_ADDRESSES.length === 0 && raw.NSQD_TCP_ADDRESSES.length === 0) return { driver: 'in-process' };
  const publishAddress = raw.NSQD_TCP_ADDRESS ?? raw.NSQD_TCP_ADDRESSES[0];
  return {
    driver: 'nsq',
    lookupdHttpAddresses: raw.NSQLOOKUPD_HTTP_ADDRESSES,
    nsqdTcpAddresses: raw.NSQD_TCP_ADDRESSES,
    publishAddress,
    publishHttpAddress: raw.NSQD_HTTP_ADDRESS ?? nsqdHttpBesides(publishAddress),
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

/**
 * The recognizer token of a separate deployable (recognizer, processor, receiver): they share it through the
 * environment, so it must be set; only the embedded launcher may generate one (see `withRecognizerToken`).
 */
export function requireRecognizerToken(config: VisageConfig): string {
  if (!config.RECOGNIZER_TOKEN) {
    throw new ConfigValidationError([
      'RECOGNIZER_TOKEN: required (every recognizer call carries it; set the same value in the recognizer, processor and receiver: openssl rand -base64 32)',
    ]);
  }
  return config.RECOGNIZER_TOKEN;
}

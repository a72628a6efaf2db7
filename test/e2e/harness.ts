/**
 * Shared pieces of the end-to-end and fault tests: a throw-away IMAGES_ROOT with the committed test images, HTTP helpers, polling, direct database reads (to count faces rows), and a small gRPC double of the
 * recognizer that speaks `proto/visage/face/v1/face.proto` + `grpc.health.v1.Health` and counts its calls.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import mysql from 'mysql2/promise';
import { INestApplication } from '@nestjs/common';
import {
  AnalyzeImageRequest,
  AnalyzeImageResponse,
  FACE_ANALYSIS_SERVICE,
  faceAnalysisServiceDefinition,
  REASON_METADATA_KEY,
} from '@visage/recognizer-client';
import { DatabaseConfig, parseConfig, VisageConfig } from '@visage/config';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH } from '@visage/domain';
import { CommittedFixture, Fixture, FIXTURES_DIR, writeFixture } from '../support/fixtures';
import { until } from '../support/until';
import { bearer, TEST_ADMIN_KEY, TEST_AUTH_ENV } from '../../libs/auth/test/test-keys';
import { createScratchMysqlDatabase } from '../../libs/persistence/test/test-databases';
import { NsqLookupdTestServer, NsqTestServer } from '../nsq/nsq-test-server';
import { UploadItemResultDto } from '../../apps/receiver/src/images/dto/upload-images.dto';

// ---------------------------------------------------------------------------------------------- files

export interface ImagesRoot {
  root: string;
  /** Copies the committed `test/fixtures/<source>` to `<root>/<target>` (directories created); returns `target`. */
  copy(source: CommittedFixture, target: string): string;
  /** Writes a committed fixture or a variant made at test time to `<root>/<target>`; returns `target`. */
  add(source: Fixture, target: string): Promise<string>;
  remove(): void;
}

/** A fresh IMAGES_ROOT under the OS temp dir; fixtures are copied in, never linked (symlinks out are refused). */
export function createImagesRoot(prefix = 'visage-e2e-'): ImagesRoot {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return {
    root,
    copy(source, target) {
      const destination = join(root, target);
      mkdirSync(dirname(destination), { recursive: true });
      copyFileSync(join(FIXTURES_DIR, source), destination);
      return target;
    },
    async add(source, target) {
      await writeFixture(source, join(root, target));
      return target;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------- HTTP

export interface HttpReply<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
}

/** A request with the test admin key (every e2e app starts with ADMIN_API_KEY = TEST_ADMIN_KEY); `headers` add to it. */
export async function http<T = Record<string, unknown>>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply<T>> {
  const response = await fetch(url, {
    method,
    headers: { ...bearer(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed as T, text };
}

/** Signs in to the dashboard through its login form; the headers (Cookie) of the session, for `http`. */
export async function dashboardSession(frontendUrl: string): Promise<Record<string, string>> {
  const login = await fetch(`${frontendUrl}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? '';
  const signedIn = await fetch(`${frontendUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: login.headers
        .getSetCookie()
        .map((line) => line.split(';')[0])
        .join('; '),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ _csrf: csrf, key: TEST_ADMIN_KEY, next: '/' }),
  });
  const session = signedIn.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .find((line) => line.startsWith('visage_session='));
  if (!session) throw new Error(`dashboard sign-in failed: ${signedIn.status}`);
  return { cookie: session };
}

export function baseUrl(app: INestApplication): string {
  return `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
}

export interface ImageView {
  id: number;
  path: string;
  status: string;
  attempts: number;
  lastError: string | null;
  permanentFailure: boolean;
  updatedAt: string;
  galleryVersion: number | null;
  matchedAt: string | null;
  faces: Array<{ distance: number | null; person: { id: number; name: string } | null; galleryVersion: number | null; matchedAt: string | null }>;
}

export const FINAL_STATUSES = ['processed', 'unrecognized', 'failed'];

export class ReceiverClient {
  constructor(readonly url: string) {}

  async post(path: string): Promise<number> {
    const reply = await http<{ id: number }>('POST', `${this.url}/image/post`, { path });
    if (reply.status !== 202) throw new Error(`POST /image/post ${path} → ${reply.status} ${reply.text}`);
    return reply.body.id;
  }

  async postMany(paths: string[]): Promise<number[]> {
    const reply = await http<{ images: Array<{ id?: number; error?: unknown }> }>('POST', `${this.url}/images/post`, {
      paths: paths.map((path) => ({ path })),
    });
    if (reply.status !== 202 || reply.body.images.some((item) => item.id === undefined)) {
      throw new Error(`POST /images/post → ${reply.status} ${reply.text.slice(0, 500)}`);
    }
    return reply.body.images.map((item) => item.id as number);
  }

  /** POST /images with each file as a multipart `file` part; the per-file answers. */
  async upload(files: Array<{ bytes: Buffer; name: string }>): Promise<UploadItemResultDto[]> {
    const reply = await this.postForm('/images', files);
    if (reply.status !== 202) throw new Error(`POST /images → ${reply.status} ${reply.text.slice(0, 500)}`);
    return (reply.body as { images: UploadItemResultDto[] }).images;
  }

  /** A multipart POST of `file` parts to `path` (an upload route). */
  async postForm(path: string, files: Array<{ bytes: Buffer; name: string }>): Promise<HttpReply<unknown>> {
    const form = new FormData();
    for (const file of files) form.append('file', new Blob([file.bytes]), file.name);
    const response = await fetch(`${this.url}${path}`, { method: 'POST', headers: bearer(), body: form });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as unknown, text };
  }

  async image(id: number): Promise<ImageView> {
    const reply = await http<ImageView>('GET', `${this.url}/images/${id}`);
    if (reply.status !== 200) throw new Error(`GET /images/${id} → ${reply.status} ${reply.text}`);
    return reply.body;
  }

  /** Waits until the image reaches one of `statuses` (default: any final one) and returns it. */
  async settled(id: number, statuses = FINAL_STATUSES, timeoutMs = 90_000): Promise<ImageView> {
    return until(
      async () => {
        const image = await this.image(id);
        return statuses.includes(image.status) ? image : undefined;
      },
      `image ${id} to become ${statuses.join('|')}`,
      timeoutMs,
      150,
    );
  }
}

// ---------------------------------------------------------------------------------------------- database

export interface ImageRow {
  id: number;
  path: string;
  status: string;
  attempts: number;
  permanentFailure: boolean;
  faceRows: number;
}

/** Reads the scratch MariaDB directly, as root: counts what the processor wrote, whatever the API shows. */
export class DatabaseProbe {
  private constructor(private readonly connection: mysql.Connection) {}

  static async open(config: DatabaseConfig): Promise<DatabaseProbe> {
    if (config.type !== 'mysql') throw new Error('DatabaseProbe reads MariaDB only');
    const connection = await mysql.createConnection({
      host: config.host,
      port: config.port,
      user: config.username,
      password: config.password,
      database: config.database,
    });
    return new DatabaseProbe(connection);
  }

  async images(): Promise<ImageRow[]> {
    const [rows] = await this.connection.query(
      `SELECT i.id, i.path, i.status, i.attempts, i.permanent_failure AS permanentFailure, (SELECT COUNT(*) FROM faces f WHERE f.image_id = i.id) AS faceRows
         FROM images i ORDER BY i.id`,
    );
    return (rows as Array<Record<string, unknown>>).map((row) => ({
      id: Number(row.id),
      path: String(row.path),
      status: String(row.status),
      attempts: Number(row.attempts),
      permanentFailure: Boolean(Number(row.permanentFailure)),
      faceRows: Number(row.faceRows),
    }));
  }

  async query(sql: string, parameters: unknown[] = []): Promise<unknown> {
    const [rows] = await this.connection.query(sql, parameters);
    return rows;
  }

  close(): Promise<void> {
    return this.connection.end();
  }
}

// ---------------------------------------------------------------------------------------------- recognizer double

type Unary = grpc.handleUnaryCall<AnalyzeImageRequest, AnalyzeImageResponse>;

/** One deterministic face per image; its descriptor depends on the path, so different images differ. */
function syntheticFace(path: string) {
  let seed = 7;
  for (const char of path) seed = (seed * 31 + char.charCodeAt(0)) % 1_000_003;
  const descriptor = Array.from({ length: DESCRIPTOR_LENGTH }, (_, index) => Math.sin(seed + index) * 0.1);
  return { box: { x: 10, y: 10, width: 40, height: 40 }, score: 0.99, descriptor, landmarks: [] };
}

/**
 * A stand-in for the face-recognition service, for the fault tests where what matters is the pipeline
 * (delivery, claims, breaker), not the pixels: it answers AnalyzeImage with one synthetic face (or
 * INVALID_ARGUMENT `corrupt` for paths under `bad/`), serves `grpc.health.v1.Health` = SERVING, counts every
 * call per path, can delay or hold answers, and can be stopped and started again on the same port.
 */
export class RecognizerDouble {
  readonly calls = new Map<string, number>();
  /** Bytes of `content` the last call for each path carried (0: the path alone was sent). */
  readonly contentBytes = new Map<string, number>();
  /** The `authorization` metadata (RECOGNIZER_TOKEN) the last call for each path carried. */
  readonly authorization = new Map<string, string | undefined>();
  /** Delay before answering each call. */
  delayMs = 0;
  /** Paths whose (next) call is never answered while listed: a stuck analysis. */
  readonly hold = new Set<string>();
  private server?: grpc.Server;
  private port = 0;

  static async start(): Promise<RecognizerDouble> {
    const double = new RecognizerDouble();
    await double.start();
    return double;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  callsFor(path: string): number {
    return this.calls.get(path) ?? 0;
  }

  get totalCalls(): number {
    return [...this.calls.values()].reduce((sum, count) => sum + count, 0);
  }

  async start(): Promise<void> {
    await this.closeBlackhole();
    const server = new grpc.Server();
    const analyze: Unary = (call, callback) => {
      const path = call.request.path;
      this.calls.set(path, this.callsFor(path) + 1);
      this.contentBytes.set(path, call.request.content?.length ?? 0);
      const [authorization] = call.metadata.get('authorization');
      this.authorization.set(path, typeof authorization === 'string' ? authorization : undefined);
      if (this.hold.has(path)) {
        this.hold.delete(path);
        return; // never answered: the caller hangs until its deadline or its death
      }
      setTimeout(() => {
        if (path.startsWith('bad/')) {
          const metadata = new grpc.Metadata();
          metadata.set(REASON_METADATA_KEY, 'corrupt');
          callback({ code: grpc.status.INVALID_ARGUMENT, details: `corrupt: ${path} is not a valid image`, metadata });
          return;
        }
        callback(null, {
          width: 64,
          height: 64,
          faces: [syntheticFace(path)],
          backend: 'double',
          elapsedMs: this.delayMs,
          descriptorRecipe: DEFAULT_DESCRIPTOR_RECIPE,
        });
      }, this.delayMs);
    };
    server.addService(faceAnalysisServiceDefinition(), { analyzeImage: analyze });
    new HealthImplementation({ '': 'SERVING', [FACE_ANALYSIS_SERVICE]: 'SERVING' }).addToServer(server);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${this.port}`, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    this.server = server;
  }

  /** Like a killed process: every connection dropped, nothing answered. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
    void this.closeBlackhole();
  }

  private async closeBlackhole(): Promise<void> {
    const blackhole = this.blackhole;
    this.blackhole = undefined;
    for (const socket of this.blackholeSockets.splice(0)) socket.destroy();
    if (blackhole) await new Promise<void>((closed) => blackhole.close(() => closed()));
  }

  /**
   * Like a container gone from its network: connections are neither refused nor answered (the port takes TCP and
   * never speaks HTTP/2), so a gRPC client sits "Waiting for LB pick" unless it gives up on connecting itself.
   */
  async goSilent(): Promise<void> {
    this.stop();
    const blackhole = createTcpServer((socket) => {
      this.blackholeSockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((listening) => blackhole.listen(this.port, '127.0.0.1', listening));
    this.blackhole = blackhole;
  }

  private blackhole?: TcpServer;
  private readonly blackholeSockets: Socket[] = [];
}

// ---------------------------------------------------------------------------------------------- config

/** Every listening port 0 (the schema refuses 0 from the environment; the apps accept it and report the bound port). */
export function withEphemeralPorts(config: VisageConfig): VisageConfig {
  return { ...config, RECEIVER_PORT: 0, FRONTEND_PORT: 0, PROCESSOR_HEALTH_PORT: 0, FACE_RECOGNITION_PORT: 0, FACE_RECOGNITION_HEALTH_PORT: 0 };
}

// ---------------------------------------------------------------------------------------------- stacks

/** The environment of one stack under test (database, queue) and how to tear it down. */
export interface E2eStack {
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The two stacks every end-to-end suite runs on: (a) the embedded defaults, SQLite + the in-process queue
 * (`DATABASE_URL=sqlite:` is a placeholder the suite points at a file of its own); (b) a MariaDB scratch
 * database + the NSQ test server, nsqd discovered through nsqlookupd.
 */
export function e2eStacks(databasePrefix: string): Array<{ name: string; start: () => Promise<E2eStack> }> {
  return [
    {
      name: 'embedded defaults: SQLite + in-process queue',
      start: async () => ({ env: { DATABASE_URL: 'sqlite:' }, close: async () => undefined }),
    },
    {
      name: 'MariaDB + NSQ test server (nsqd via nsqlookupd)',
      start: async () => {
        const database = await createScratchMysqlDatabase(databasePrefix);
        const nsqd = await NsqTestServer.start();
        const lookupd = await NsqLookupdTestServer.start([nsqd]);
        // A fresh nsqd holding no topic: the apps create the topic and channel over its HTTP API at start.
        return {
          env: {
            DATABASE_URL: database.url,
            NSQLOOKUPD_HTTP_ADDRESSES: lookupd.httpAddress,
            NSQD_TCP_ADDRESS: nsqd.tcpAddress,
            NSQD_HTTP_ADDRESS: nsqd.httpAddress,
          },
          close: async () => {
            await lookupd.stop();
            await nsqd.stop();
            await database.drop();
          },
        };
      },
    },
  ];
}

/**
 * The configuration of the embedded launcher on `stack` over `images`: known faces in `known/`, one recognizer
 * worker, errors-only logs, every port 0; a SQLite stack gets its file inside the images root. `env` adds to it.
 */
export function embeddedStackConfig(stack: E2eStack, images: ImagesRoot, env: Record<string, string> = {}): VisageConfig {
  const database = stack.env.DATABASE_URL === 'sqlite:' ? { DATABASE_URL: `sqlite:${images.root}/visage.sqlite` } : {};
  return withEphemeralPorts(
    parseConfig({
      ...stack.env,
      ...TEST_AUTH_ENV,
      ...database,
      IMAGES_ROOT: images.root,
      KNOWN_FACES_DIR: 'known',
      RECOGNIZER_WORKERS: '1',
      LOG_LEVEL: 'error',
      ...env,
    }),
  );
}

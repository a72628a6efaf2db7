import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import sharp from 'sharp';
import request from 'supertest';
import { parseConfig, VisageConfig } from '@visage/config';
import { createFrontendApp } from '../src/frontend.app';
import { MigratedTestDatabase, openTestDatabase, Rows, TestDatabase, TestDriver } from '../../../libs/persistence/test/test-databases';
import { TEST_ADMIN_KEY, TEST_AUTH_ENV } from '../../../libs/auth/test/test-keys';

/** A temporary IMAGES_ROOT with real pictures written by sharp (never the shared face set). */
export class ImagesRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'visage-images-'));

  async picture(relative: string, width = 240, height = 160, colour = { r: 40, g: 90, b: 160 }): Promise<string> {
    const file = join(this.dir, relative);
    mkdirSync(join(file, '..'), { recursive: true });
    await sharp({ create: { width, height, channels: 3, background: colour } })
      .jpeg()
      .toFile(file);
    return relative;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  body: unknown;
  /** The Authorization header the dashboard sent (its session's key). */
  authorization?: string;
}

type Reply = { status: number; body: unknown };

/** Stands in for the receiver's HTTP API: records what the frontend sends and answers as told. */
export class FakeReceiver {
  readonly requests: RecordedRequest[] = [];
  private readonly replies = new Map<string, Reply>();
  private server?: Server;
  url = '';

  reply(method: string, url: string, status: number, body: unknown): void {
    this.replies.set(`${method} ${url}`, { status, body });
  }

  async start(): Promise<this> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        const body = raw ? (JSON.parse(raw) as unknown) : undefined;
        this.requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          body,
          ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        });
        const reply = this.replies.get(`${request.method} ${request.url}`) ?? {
          status: 404,
          body: { statusCode: 404, error: 'Not Found', message: `no fake reply for ${request.method} ${request.url}` },
        };
        response.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function testConfig(db: TestDatabase, imagesRoot: string, receiverUrl: string, env: Record<string, string> = {}): VisageConfig {
  return parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    IMAGES_ROOT: imagesRoot,
    RECEIVER_URL: receiverUrl,
    ...TEST_AUTH_ENV,
    ...env,
  });
}

/** The real app (own connection, as in production) on the test's database. */
export async function startFrontend(config: VisageConfig): Promise<NestExpressApplication> {
  const app = await createFrontendApp(config, { logger: false });
  await app.init();
  return app;
}

/**
 * What a dashboard test stands on: a migrated test database with its `Rows`, a temporary images root and a fake
 * receiver. `open()` them (beforeAll), write the rows and pictures the test needs, `start()` the real app on them;
 * `close()` (afterAll) stops and removes everything that was opened.
 */
export class DashboardTestBed {
  readonly root = new ImagesRoot();
  readonly receiver = new FakeReceiver();
  private db?: MigratedTestDatabase;
  private app?: NestExpressApplication;

  async open(driver?: TestDriver, prefix?: string): Promise<{ db: MigratedTestDatabase; rows: Rows }> {
    const db = await openTestDatabase(driver, prefix);
    this.db = db;
    await this.receiver.start();
    return { db, rows: new Rows(db.dataSource) };
  }

  /** `env` adds to the test configuration (e.g. TRUSTED_PROXIES). */
  async start(env: Record<string, string> = {}): Promise<NestExpressApplication> {
    if (!this.db) throw new Error('open() the test bed before start()');
    this.app = await startFrontend(testConfig(this.db, this.root.dir, this.receiver.url, env));
    return this.app;
  }

  async close(): Promise<void> {
    await this.app?.close();
    await this.receiver.stop();
    await this.db?.close();
    this.root.remove();
  }
}

/** A signed-in browser, as far as the tests need one: its session cookie and the session's CSRF token. */
export interface DashboardClient {
  /** `visage_session=…`, to send as Cookie. */
  cookie: string;
  csrf: string;
  get(url: string): request.Test;
  post(url: string): request.Test;
  /** Form fields with the CSRF token added. */
  form(fields?: Record<string, string>): Record<string, string>;
}

function hiddenCsrf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no _csrf field on the page');
  return token;
}

/** Signs in through the login form, as a person would (default: the admin key every test app accepts). */
export async function signIn(app: NestExpressApplication, key: string = TEST_ADMIN_KEY): Promise<DashboardClient> {
  const server = app.getHttpServer();
  const login = await request(server).get('/login').expect(200);
  const loginCookie = (login.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]!);
  const signedIn = await request(server)
    .post('/login')
    .set('Cookie', loginCookie)
    .type('form')
    .send({ _csrf: hiddenCsrf(login.text), key, next: '/' });
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}: ${signedIn.text.slice(0, 300)}`);
  const cookie = (signedIn.headers['set-cookie'] as unknown as string[])
    .map((line) => line.split(';')[0]!)
    .find((line) => line.startsWith('visage_session='));
  if (!cookie) throw new Error('sign-in set no session cookie');
  const csrf = hiddenCsrf((await request(server).get('/persons').set('Cookie', cookie).expect(200)).text);
  return {
    cookie,
    csrf,
    get: (url) => request(server).get(url).set('Cookie', cookie),
    post: (url) => request(server).post(url).set('Cookie', cookie),
    form: (fields = {}) => ({ _csrf: csrf, ...fields }),
  };
}

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import sharp from 'sharp';
import { parseConfig, VisageConfig } from '@visage/config';
import { createFrontendApp } from '../src/frontend.app';
import { TestDatabase } from '../../../libs/persistence/test/test-databases';

/** A temporary IMAGES_ROOT with real pictures written by sharp (never the shared face set). */
export class ImagesRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'visage-images-'));

  async picture(relative: string, width = 240, height = 160, colour = { r: 40, g: 90, b: 160 }): Promise<string> {
    const file = join(this.dir, relative);
    mkdirSync(join(file, '..'), { recursive: true });
    await sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toFile(file);
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
        this.requests.push({ method: request.method ?? '', url: request.url ?? '', body });
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

export function testConfig(db: TestDatabase, imagesRoot: string, receiverUrl: string): VisageConfig {
  return parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    IMAGES_ROOT: imagesRoot,
    RECEIVER_URL: receiverUrl,
  });
}

/** The real app (own connection, as in production) on the test's database. */
export async function startFrontend(config: VisageConfig): Promise<NestExpressApplication> {
  const app = await createFrontendApp(config, { logger: false });
  await app.init();
  return app;
}

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication, LoggerService } from '@nestjs/common';
import request from 'supertest';
import { expect } from 'vitest';
import { parseConfig, VisageConfig } from '@visage/config';
import { TestDatabase, TestDriver } from '../../../libs/persistence/test/test-databases';
import { bearer, TEST_AUTH_ENV } from '../../../libs/auth/test/test-keys';
import { Test } from '@nestjs/testing';
import { QUEUE_CLIENT } from '@visage/queue';
import { configureReceiverApp, receiverNestOptions } from '../src/receiver.app';
import { ReceiverModule } from '../src/receiver.module';
import { RecordingQueueClient } from './fake-queue';

/** MAX_IMAGE_BYTES of the test apps, so "too large" needs only a small file. */
export const TEST_MAX_IMAGE_BYTES = 2048;

/** An API error as every route answers it: the status, its `code`, a message, and no stack trace or source path. */
export function expectApiError(response: { status: number; body: unknown }, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body).toMatchObject({ statusCode: status, code, message: expect.any(String) });
  expect(JSON.stringify(response.body)).not.toMatch(/\bat .+\.(ts|js):\d+|stack/i);
}

export interface ReceiverHarness {
  app: INestApplication;
  /** Requests with the admin key (TEST_ADMIN_KEY). */
  http: ReturnType<typeof request.agent>;
  /** Requests without a key. */
  anonymous: ReturnType<typeof request>;
  config: VisageConfig;
  /** IMAGES_ROOT: `photos/a.jpg` … `photos/e.jpg`, `big.jpg` (too large), `empty.jpg`, `dir/`, links. */
  root: string;
  /** Directory next to the root (outside it) with `secret.jpg`; `escape.jpg` and `linked-out/` in the root lead there. */
  outside: string;
  queue: RecordingQueueClient;
  close(): Promise<void>;
}

/** A receiver on a fresh database of `driver`, with a temp images root and a recording fake queue. */
export async function startReceiver(
  driver: TestDriver,
  env: NodeJS.ProcessEnv = {},
  logger: LoggerService | false = false,
): Promise<ReceiverHarness> {
  const base = await mkdtemp(join(tmpdir(), 'visage-receiver-'));
  const root = join(base, 'images');
  const outside = join(base, 'outside');
  await mkdir(join(root, 'photos'), { recursive: true });
  await mkdir(join(root, 'dir'), { recursive: true });
  await mkdir(outside, { recursive: true });
  for (const name of ['a', 'b', 'c', 'd', 'e']) await writeFile(join(root, 'photos', `${name}.jpg`), `image ${name}`);
  await writeFile(join(root, 'big.jpg'), Buffer.alloc(TEST_MAX_IMAGE_BYTES + 1, 1));
  await writeFile(join(root, 'empty.jpg'), '');
  await writeFile(join(outside, 'secret.jpg'), 'secret');
  await symlink(join(outside, 'secret.jpg'), join(root, 'escape.jpg'));
  await symlink(outside, join(root, 'linked-out'));
  await symlink(join(root, 'photos', 'e.jpg'), join(root, 'alias-of-e.jpg'));

  let database: TestDatabase | undefined;
  let app: INestApplication | undefined;
  try {
    database = await driver.create();
    const config = parseConfig({
      DATABASE_URL: database.url,
      IMAGES_ROOT: root,
      MAX_IMAGE_BYTES: String(TEST_MAX_IMAGE_BYTES),
      LOG_LEVEL: 'error',
      ...TEST_AUTH_ENV,
      ...env,
    });
    const queue = new RecordingQueueClient();
    const moduleRef = await Test.createTestingModule({ imports: [ReceiverModule.forRoot({ config })] })
      .overrideProvider(QUEUE_CLIENT)
      .useValue(queue)
      .compile();
    app = configureReceiverApp(moduleRef.createNestApplication(receiverNestOptions(config, { logger })));
    await app.init();
    const opened = app;
    const db = database;
    return {
      app: opened,
      http: request.agent(opened.getHttpServer()).set(bearer()),
      anonymous: request(opened.getHttpServer()),
      config,
      root,
      outside,
      queue,
      close: async () => {
        await opened.close();
        await db.drop();
        await rm(base, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await app?.close();
    await database?.drop();
    await rm(base, { recursive: true, force: true });
    throw error;
  }
}

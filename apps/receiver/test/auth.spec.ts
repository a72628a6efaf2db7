import { createHash } from 'node:crypto';
import { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminKeyBootstrap } from '@visage/auth';
import { DashboardSessionRepository } from '@visage/persistence';
import { TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { bearer, TEST_ADMIN_KEY } from '../../../libs/auth/test/test-keys';
import { ReceiverHarness, startReceiver } from './receiver-harness';

/** Every line the app logs, at every level. */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  private record(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push(`${level} ${[message, ...rest].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ')}`);
  }
  log(message: unknown, ...rest: unknown[]) {
    this.record('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.record('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.record('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.record('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.record('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.record('fatal', message, rest);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function expectRefused(response: { status: number; body: unknown }, status: 401 | 403, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body).toMatchObject({ statusCode: status, code, message: expect.any(String) });
}

/** One route of each kind, with the least scope it needs. */
const ROUTES: Array<{ method: 'get' | 'post' | 'delete'; path: string; needs: 'read' | 'submit' | 'admin'; body?: object }> = [
  { method: 'get', path: '/images', needs: 'read' },
  { method: 'get', path: '/images/counts', needs: 'read' },
  { method: 'get', path: '/persons', needs: 'read' },
  { method: 'get', path: '/clusters', needs: 'read' },
  { method: 'post', path: '/image/post', needs: 'submit', body: { path: 'photos/a.jpg' } },
  { method: 'post', path: '/images/post', needs: 'submit', body: { paths: [{ path: 'photos/b.jpg' }] } },
  { method: 'post', path: '/persons', needs: 'admin', body: { name: 'Scoped' } },
  { method: 'delete', path: '/persons/999999', needs: 'admin' },
  { method: 'delete', path: '/images/999999', needs: 'admin' },
  { method: 'post', path: '/faces/999999/reject', needs: 'admin' },
  { method: 'get', path: '/keys', needs: 'admin' },
  { method: 'get', path: '/audit', needs: 'admin' },
];
const RANK = { read: 0, submit: 1, admin: 2 } as const;

describe.each(TEST_DRIVERS)('API keys on $name', (driver) => {
  let harness: ReceiverHarness;
  let logger: RecordingLogger;
  const keys: Record<'read' | 'submit' | 'admin', string> = { read: '', submit: '', admin: '' };

  beforeAll(async () => {
    logger = new RecordingLogger();
    harness = await startReceiver(driver, { LOG_LEVEL: 'verbose', RATE_LIMIT_SUBMIT_PER_MINUTE: '1000' }, logger);
    for (const scope of ['read', 'submit', 'admin'] as const) {
      const created = await harness.http.post('/keys').send({ name: `${scope} key`, scope });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.any(Number),
        name: `${scope} key`,
        scope,
        key: expect.stringMatching(/^vsk_[A-Za-z0-9_-]{43}$/),
      });
      keys[scope] = created.body.key as string;
    }
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('refuses every route but health and metrics without a key, with one answer for missing, unknown and malformed keys', async () => {
    for (const route of ROUTES) {
      const missing = await harness.anonymous[route.method](route.path).send(route.body);
      expectRefused(missing, 401, 'unauthenticated');
      expect(missing.headers['www-authenticate']).toBe('Bearer');
      const unknown = await harness.anonymous[route.method](route.path)
        .set(bearer('vsk_no-such-key-0000000000000000000000000000000'))
        .send(route.body);
      expect(unknown.body).toEqual(missing.body);
    }
    expect((await harness.anonymous.get('/health/live')).status).toBe(200);
    expect((await harness.anonymous.get('/metrics')).status).toBe(200);
    expect((await harness.anonymous.get('/docs-json')).status).toBe(200);
  });

  it('lets each scope use its routes and the routes of the scopes below, and answers 403 above it', async () => {
    for (const scope of ['read', 'submit', 'admin'] as const) {
      for (const route of ROUTES) {
        const response = await harness.anonymous[route.method](route.path).set(bearer(keys[scope])).send(route.body);
        const label = `${scope} ${route.method.toUpperCase()} ${route.path} → ${response.status} ${JSON.stringify(response.body)}`;
        if (RANK[scope] >= RANK[route.needs]) expect([401, 403], label).not.toContain(response.status);
        else expectRefused(response, 403, 'insufficient_scope');
      }
    }
  });

  it('sends nosniff and the other security headers on every answer, the OpenAPI UI and a refusal included', async () => {
    for (const response of [
      await harness.anonymous.get('/docs/'),
      await harness.anonymous.get('/docs-json'),
      await harness.anonymous.get('/images'),
      await harness.http.get('/images'),
    ]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    }
  });

  it('accepts the key as X-API-Key too', async () => {
    expect((await harness.anonymous.get('/images').set('x-api-key', keys.read)).status).toBe(200);
    expect((await harness.anonymous.get('/keys').set('x-api-key', keys.read)).status).toBe(403);
  });

  it('lists keys without the key or its hash, stores only the sha256, and records last use', async () => {
    const listed = await harness.http.get('/keys');
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.body);
    for (const key of [...Object.values(keys), TEST_ADMIN_KEY]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(sha256(key));
    }
    const items = listed.body.items as Array<{ name: string; lastUsedAt: string | null; revokedAt: string | null }>;
    expect(items.find((item) => item.name === 'read key')).toMatchObject({ lastUsedAt: expect.any(String), revokedAt: null });
    const rows = (await harness.app.get(DataSource).query('SELECT * FROM api_keys')) as Array<Record<string, unknown>>;
    const stored = JSON.stringify(rows);
    for (const key of [...Object.values(keys), TEST_ADMIN_KEY]) {
      expect(stored).not.toContain(key);
      expect(rows.map((row) => row.key_hash)).toContain(sha256(key));
    }
  });

  it('refuses a revoked key from the next request on, with the same 401 as an unknown key', async () => {
    const created = await harness.http.post('/keys').send({ name: 'short-lived', scope: 'read' });
    expect((await harness.anonymous.get('/images').set(bearer(created.body.key as string))).status).toBe(200);
    expect((await harness.http.delete(`/keys/${created.body.id as number}`)).status).toBe(204);
    expectRefused(await harness.anonymous.get('/images').set(bearer(created.body.key as string)), 401, 'unauthenticated');
    expect((await harness.http.delete(`/keys/${created.body.id as number}`)).body).toMatchObject({ code: 'key_not_found' });
    const audit = await harness.http.get('/audit?limit=5');
    expect(audit.body.items.slice(0, 2)).toMatchObject([
      { action: 'key.revoked', target: `key:${created.body.id as number}`, actor: expect.stringMatching(/^key:\d+$/) },
      { action: 'key.created', target: `key:${created.body.id as number}`, details: { name: 'short-lived', scope: 'read' } },
    ]);
  });

  it('lists dashboard sessions for admins (no token) and ends one with DELETE /sessions/:id, audited', async () => {
    const key = await harness.http.post('/keys').send({ name: 'dashboard user', scope: 'read' });
    const sessions = harness.app.get(DashboardSessionRepository);
    const created = await sessions.create({
      tokenHash: sha256(`token-${Date.now()}`),
      keyId: key.body.id as number,
      expiresAt: new Date(Date.now() + 60_000),
      userAgent: 'Firefox',
    });
    const listed = await harness.http.get('/sessions');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual({
      id: created.id,
      keyId: key.body.id,
      createdAt: expect.any(String),
      lastSeenAt: expect.any(String),
      expiresAt: expect.any(String),
      userAgent: 'Firefox',
    });
    expect(JSON.stringify(listed.body)).not.toMatch(/token/i);
    expectRefused(await harness.anonymous.get('/sessions').set(bearer(keys.read)), 403, 'insufficient_scope');
    expect((await harness.http.delete(`/sessions/${created.id}`)).status).toBe(204);
    expect((await harness.http.delete(`/sessions/${created.id}`)).body).toMatchObject({ statusCode: 404, code: 'session_not_found' });
    expect((await harness.http.get('/sessions')).body.items.map((session: { id: number }) => session.id)).not.toContain(created.id);
    const audit = await harness.http.get('/audit?limit=1');
    expect(audit.body.items[0]).toMatchObject({ action: 'session.deleted', target: `session:${created.id}` });
  });

  it('validates a new key', async () => {
    expect((await harness.http.post('/keys').send({ name: 'x', scope: 'root' })).body).toMatchObject({ statusCode: 400, code: 'scope_invalid' });
    expect((await harness.http.post('/keys').send({ scope: 'read' })).body).toMatchObject({ statusCode: 400, code: 'name_required' });
  });

  it('never writes a key or its hash to the log', () => {
    const log = logger.lines.join('\n');
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const key of [...Object.values(keys), TEST_ADMIN_KEY]) {
      expect(log).not.toContain(key);
      expect(log).not.toContain(sha256(key));
    }
  });
});

describe.each(TEST_DRIVERS)('admin key bootstrap on $name', (driver) => {
  it('generates one admin key on a database without one, logs it once, and not again at the next start', async () => {
    const logger = new RecordingLogger();
    const harness = await startReceiver(driver, { ADMIN_API_KEY: '' }, logger);
    try {
      const lines = logger.lines.filter((line) => /vsk_[A-Za-z0-9_-]{43}/.test(line));
      expect(lines).toHaveLength(1);
      const key = /vsk_[A-Za-z0-9_-]{43}/.exec(lines[0]!)![0];
      expect((await harness.anonymous.get('/keys').set(bearer(key))).status).toBe(200);
      // Kept for npm start's ready banner, which shows it last.
      expect(harness.app.get(AdminKeyBootstrap).generatedKey).toBe(key);
      await harness.app.get(AdminKeyBootstrap).onApplicationBootstrap();
      expect(logger.lines.filter((line) => /vsk_[A-Za-z0-9_-]{43}/.test(line))).toHaveLength(1);
      const listed = await harness.anonymous.get('/keys').set(bearer(key));
      expect(listed.body.items).toHaveLength(1);
    } finally {
      await harness.close();
    }
  });

  it('stores ADMIN_API_KEY once across starts', async () => {
    const harness = await startReceiver(driver);
    try {
      await harness.app.get(AdminKeyBootstrap).onApplicationBootstrap();
      const listed = await harness.http.get('/keys');
      expect(listed.body.items).toMatchObject([{ name: 'ADMIN_API_KEY', scope: 'admin', revokedAt: null }]);
    } finally {
      await harness.close();
    }
  });
});

describe('AUTH=off', () => {
  it('opens every route and warns at start', async () => {
    const logger = new RecordingLogger();
    const harness = await startReceiver(TEST_DRIVERS[TEST_DRIVERS.length - 1]!, { AUTH: 'off' }, logger);
    try {
      expect(logger.lines.some((line) => line.startsWith('warn') && line.includes('AUTH=off'))).toBe(true);
      expect((await harness.anonymous.get('/keys')).status).toBe(200);
      const created = await harness.anonymous.post('/persons').send({ name: 'Open' });
      expect(created.status).toBe(201);
      const audit = await harness.anonymous.get('/audit');
      expect(audit.body.items[0]).toMatchObject({ action: 'person.created', actor: 'anonymous' });
    } finally {
      await harness.close();
    }
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After to a key past its submissions per minute, and to an address past its failed authentications', async () => {
    const harness = await startReceiver(TEST_DRIVERS[TEST_DRIVERS.length - 1]!, {
      RATE_LIMIT_SUBMIT_PER_MINUTE: '3',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '4',
    });
    try {
      const statuses: number[] = [];
      for (const name of ['a', 'b', 'c', 'd']) statuses.push((await harness.http.post('/image/post').send({ path: `photos/${name}.jpg` })).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
      const limited = await harness.http.post('/image/post').send({ path: 'photos/e.jpg' });
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Reads are not submissions: the same key still reads.
      expect((await harness.http.get('/images')).status).toBe(200);

      const failures: number[] = [];
      for (let attempt = 0; attempt < 5; attempt++) failures.push((await harness.anonymous.get('/images').set(bearer('vsk_wrong'))).status);
      expect(failures).toEqual([401, 401, 401, 401, 429]);
      const blocked = await harness.anonymous.get('/images');
      expect(blocked.status).toBe(429);
      expect(blocked.body).toMatchObject({ code: 'auth_rate_limited' });
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      // The blocked address's valid key is never refused: only failures are.
      expect((await harness.http.get('/images')).status).toBe(200);
      expect((await harness.anonymous.get('/images').set(bearer('vsk_wrong'))).status).toBe(429);
    } finally {
      await harness.close();
    }
  });

  it('key-less requests (any web page on the host can send them) count as failures but never lock out a valid key', async () => {
    const harness = await startReceiver(TEST_DRIVERS[TEST_DRIVERS.length - 1]!, { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '30' });
    try {
      const anonymous: number[] = [];
      for (let attempt = 0; attempt < 31; attempt++) anonymous.push((await harness.anonymous.get('/images')).status);
      expect(anonymous.slice(0, 30).every((status) => status === 401)).toBe(true);
      expect(anonymous[30]).toBe(429);
      expect((await harness.http.get('/images')).status).toBe(200);
      expect((await harness.http.get('/persons')).status).toBe(200);
    } finally {
      await harness.close();
    }
  });

  it('believes X-Forwarded-For only from TRUSTED_PROXIES: by default rotating it neither escapes the limit nor blames another address', async () => {
    const untrusting = await startReceiver(TEST_DRIVERS[TEST_DRIVERS.length - 1]!, { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '4' });
    try {
      const rotated: number[] = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        rotated.push((await untrusting.anonymous.get('/images').set(bearer('vsk_wrong')).set('X-Forwarded-For', `203.0.113.${attempt}`)).status);
      }
      expect(rotated).toEqual([401, 401, 401, 401, 429, 429]);
    } finally {
      await untrusting.close();
    }
    // Behind a trusted proxy (here the test client's loopback), each forwarded client has its own count.
    const trusting = await startReceiver(TEST_DRIVERS[TEST_DRIVERS.length - 1]!, {
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '2',
      TRUSTED_PROXIES: '127.0.0.1/8, ::1',
    });
    try {
      const from = (address: string) => trusting.anonymous.get('/images').set(bearer('vsk_wrong')).set('X-Forwarded-For', address);
      expect([(await from('198.51.100.7')).status, (await from('198.51.100.7')).status, (await from('198.51.100.7')).status]).toEqual([
        401, 401, 429,
      ]);
      expect((await from('198.51.100.8')).status).toBe(401);
    } finally {
      await trusting.close();
    }
  });
});

describe('unauthenticated requests on a fresh app', () => {
  it('never reaches the handler', async () => {
    const harness = await startReceiver(TEST_DRIVERS[TEST_DRIVERS.length - 1]!);
    try {
      const response = await request(harness.app.getHttpServer()).post('/image/post').send({ path: 'photos/a.jpg' });
      expect(response.status).toBe(401);
      expect(harness.queue.imageIds()).toHaveLength(0);
    } finally {
      await harness.close();
    }
  });
});

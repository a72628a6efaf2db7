/**
 * Dashboard sessions are server-side rows (issue #19, 4): a copied cookie ends with logout, with the key's
 * revocation, with an admin's DELETE /sessions/:id and when idle too long, and still works after a restart (same
 * SESSION_SECRET). On both databases: the rows are what is under test.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ApiKeyService } from '@visage/auth';
import { DashboardSessionEntity, DashboardSessionRepository } from '@visage/persistence';
import { TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { DashboardClient, DashboardTestBed, signIn } from './harness';

const ENV = { SESSION_SECRET: 'test-session-secret-not-secret-0123456789', SESSION_IDLE_TIMEOUT_MS: String(30 * 60_000) };

describe.each(TEST_DRIVERS)('dashboard sessions on $name', (driver) => {
  const bed = new DashboardTestBed();
  let app: NestExpressApplication;
  let rows: () => import('typeorm').Repository<DashboardSessionEntity>;

  /** The copied cookie is let in (200) or sent to sign in (303). */
  const pageWith = (session: DashboardClient) =>
    request(app.getHttpServer()).get('/persons').set('Cookie', session.cookie).set('Accept', 'text/html');

  beforeAll(async () => {
    const { db } = await bed.open(driver, 'visage_dashboard_sessions');
    rows = () => db.dataSource.getRepository(DashboardSessionEntity);
    app = await bed.start(ENV);
  });
  afterAll(() => bed.close());

  it('keeps a row per sign-in (token hash, key, times, user agent), and shows "signed in since"', async () => {
    const before = await rows().count();
    const session = await signIn(app);
    expect(await rows().count()).toBe(before + 1);
    const row = (await rows().find({ order: { id: 'DESC' }, take: 1 }))[0]!;
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(session.cookie).not.toContain(row.tokenHash);
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(12 * 60 * 60 * 1000);
    const page = await session.get('/persons').expect(200);
    expect(page.text).toContain('signed in since');
    expect(page.text).toContain(`datetime="${row.createdAt.toISOString()}"`);
  });

  it('refuses a copied cookie after logout', async () => {
    const session = await signIn(app);
    await pageWith(session).expect(200);
    await session.post('/logout').type('form').send(session.form()).expect(303);
    await pageWith(session).expect(303);
  });

  it("refuses the cookie once its key is revoked, and deletes the key's sessions with it", async () => {
    const temporary = await app.get(ApiKeyService).create('temporary', 'admin', 'test');
    const session = await signIn(app, temporary.key);
    await pageWith(session).expect(200);
    expect(await rows().countBy({ keyId: temporary.id })).toBe(1);
    await app.get(ApiKeyService).revoke(temporary.id, 'test');
    expect(await rows().countBy({ keyId: temporary.id })).toBe(0);
    await pageWith(session).expect(303);
  });

  it('refuses the cookie after the idle timeout, and a session an admin ended', async () => {
    const idle = await signIn(app);
    const idleRow = (await rows().find({ order: { id: 'DESC' }, take: 1 }))[0]!;
    await rows().update({ id: idleRow.id }, { lastSeenAt: new Date(Date.now() - 31 * 60_000) });
    await pageWith(idle).expect(303);
    expect(await rows().countBy({ id: idleRow.id })).toBe(0);

    const ended = await signIn(app);
    const endedRow = (await rows().find({ order: { id: 'DESC' }, take: 1 }))[0]!;
    const repository = app.get(DashboardSessionRepository);
    expect((await repository.listLive()).map((session) => session.id)).toContain(endedRow.id);
    expect(await repository.deleteById(endedRow.id, { actor: 'test', action: 'session.deleted', target: `session:${endedRow.id}` })).toBe(true);
    await pageWith(ended).expect(303);
  });

  it('keeps a session across a restart of the dashboard', async () => {
    const session = await signIn(app);
    await app.close();
    app = await bed.start(ENV);
    await pageWith(session).expect(200);
  });
});

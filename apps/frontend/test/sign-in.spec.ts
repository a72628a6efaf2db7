import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ApiKeyService } from '@visage/auth';
import { TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { DashboardClient, DashboardTestBed, signIn } from './harness';

const drivers = TEST_DRIVERS.slice(-1); // SQLite: the session logic does not depend on the database

describe.each(drivers)('dashboard sign-in on $name', (driver) => {
  const bed = new DashboardTestBed();
  const { root, receiver } = bed;
  let app: NestExpressApplication;
  let readKey: { id: number; key: string };
  let imageId: number;
  let faceId: number;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    const { rows } = await bed.open(driver, 'visage_dashboard_auth');
    await root.picture('a.jpg');
    const image = await rows.image('a.jpg', { status: 'failed', attempts: 1, lastError: 'x' });
    imageId = image.id;
    faceId = (await rows.face(image.id, null)).id;
    // The test client's loopback stands for the ingress: its X-Forwarded-* are believed (TLS seen through them).
    app = await bed.start({ TRUSTED_PROXIES: '127.0.0.1/8, ::1', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' });
    readKey = await app.get(ApiKeyService).create('viewer', 'read', 'test');
  });
  afterAll(() => bed.close());

  it('sends an anonymous visitor to the login page, and answers 401 JSON for feeds, thumbnails and crops', async () => {
    for (const page of ['/', `/images/${imageId}`, '/persons', '/unknown']) {
      const response = await http().get(page).set('Accept', 'text/html').expect(303);
      expect(response.headers.location).toBe(`/login?next=${encodeURIComponent(page)}`);
    }
    for (const url of ['/api/images/changes?since=2020-01-01T00:00:00Z', '/thumbnails?path=a.jpg', `/faces/${faceId}/crop`]) {
      const response = await http().get(url).expect(401);
      expect(response.body).toMatchObject({ statusCode: 401, code: 'login_required' });
    }
    expect((await http().post(`/images/${imageId}/retry`).expect(303)).headers.location).toBe('/login');
    expect(receiver.requests).toHaveLength(0);
    // The sign-in page has no navigation: every link would lead back to it.
    expect((await http().get('/login').expect(200)).text).not.toContain('class="mainnav"');
    await http().get('/health/live').expect(200);
  });

  it('sets a sealed session cookie: HttpOnly, SameSite=Lax, expiring, Secure behind TLS, new at every sign-in', async () => {
    const first = await signIn(app);
    const second = await signIn(app);
    expect(first.cookie).not.toBe(second.cookie);
    expect(first.csrf).not.toBe(second.csrf);
    const login = await http().get('/login');
    const loginCookie = (login.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!;
    const tls = await http()
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', loginCookie)
      .type('form')
      .send({ _csrf: csrf, key: readKey.key, next: '/persons' })
      .expect(303);
    expect(tls.headers.location).toBe('/persons');
    const session = (tls.headers['set-cookie'] as unknown as string[]).find((line) => line.startsWith('visage_session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    // 12 hours from sign-in, rounded down: 43200 when the cookie is written in the millisecond the session began.
    expect(session).toMatch(/; Max-Age=(4319\d|43200)(;|$)/);
    expect(session).toMatch(/; Secure/);
    expect(session).not.toContain(readKey.key);
    const plain = await signIn(app);
    expect(plain.cookie).toBeTruthy();
    // A changed byte is refused like no cookie at all.
    const tampered = `${first.cookie.slice(0, -2)}${first.cookie.endsWith('A') ? 'B' : 'A'}`;
    await http().get('/persons').set('Cookie', tampered).set('Accept', 'text/html').expect(303);
  });

  it('refuses a wrong key with 401 and the login form, and never an open redirect', async () => {
    const login = await http().get('/login');
    const cookie = (login.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!;
    const wrong = await http().post('/login').set('Cookie', cookie).type('form').send({ _csrf: csrf, key: 'vsk_wrong' }).expect(401);
    expect(wrong.text).toContain('That key is not valid');
    await http().post('/login').set('Cookie', cookie).type('form').send({ key: readKey.key }).expect(403); // no CSRF token
    const next = await http()
      .post('/login')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, key: readKey.key, next: '//evil.example/' })
      .expect(303);
    expect(next.headers.location).toBe('/');
  });

  it('never refuses a valid key at sign-in, however many wrong ones its address sent (only the failures are refused)', async () => {
    const login = await http().get('/login');
    const cookie = (login.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!;
    const attempt = (key: string) =>
      http().post('/login').set('X-Forwarded-For', '192.0.2.44').set('Cookie', cookie).type('form').send({ _csrf: csrf, key });
    const statuses: number[] = [];
    for (let n = 0; n < 4; n++) statuses.push((await attempt('vsk_wrong')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await attempt(readKey.key)).status).toBe(303);
    expect((await attempt('vsk_wrong')).status).toBe(429);
  });

  it('shows a read-only session no action buttons and refuses its POSTs with 403', async () => {
    const viewer: DashboardClient = await signIn(app, readKey.key);
    const page = await viewer.get(`/images/${imageId}`).expect(200);
    expect(page.text).not.toContain(`action="/images/${imageId}/retry"`);
    expect(page.text).not.toContain(`action="/faces/${faceId}/assign"`);
    expect(page.text).toContain('read-only');
    expect((await viewer.get('/persons').expect(200)).text).not.toContain('action="/persons"');
    const before = receiver.requests.length;
    await viewer.post(`/images/${imageId}/retry`).type('form').send(viewer.form()).expect(403);
    await viewer
      .post('/persons')
      .type('form')
      .send(viewer.form({ name: 'X' }))
      .expect(403);
    expect(receiver.requests.length).toBe(before);
    const admin = await signIn(app);
    const adminPage = await admin.get(`/images/${imageId}`).expect(200);
    expect(adminPage.text).toContain(`action="/images/${imageId}/retry"`);
    expect(adminPage.text).toMatch(new RegExp(`action="/images/${imageId}/retry"[^]*?name="_csrf" value="${admin.csrf}"`));
  });

  it('needs the session’s CSRF token on every form post, and refuses a cross-site one', async () => {
    const admin = await signIn(app);
    receiver.reply('POST', `/images/${imageId}/retry`, 202, { id: imageId, status: 'pending' });
    await admin.post(`/images/${imageId}/retry`).expect(403);
    await admin.post(`/images/${imageId}/retry`).type('form').send({ _csrf: 'forged' }).expect(403);
    const other = await signIn(app);
    await admin.post(`/images/${imageId}/retry`).type('form').send({ _csrf: other.csrf }).expect(403);
    await admin.post(`/images/${imageId}/retry`).set('Origin', 'https://evil.example').type('form').send(admin.form()).expect(403);
    await admin
      .post(`/images/${imageId}/retry`)
      .set('Origin', 'http://' + 'dashboard.invalid')
      .type('form')
      .send(admin.form())
      .expect(403);
    await admin.post(`/images/${imageId}/retry`).type('form').send(admin.form()).expect(303);
  });

  it('ends the sessions of a revoked key at once, and at logout', async () => {
    const temporary = await app.get(ApiKeyService).create('temporary', 'admin', 'test');
    const session = await signIn(app, temporary.key);
    await session.get('/persons').expect(200);
    await app.get(ApiKeyService).revoke(temporary.id, 'test');
    await session.get('/persons').set('Accept', 'text/html').expect(303);
    const admin = await signIn(app);
    const out = await admin.post('/logout').type('form').send(admin.form()).expect(303);
    expect(out.headers.location).toBe('/login');
    expect((out.headers['set-cookie'] as unknown as string[]).find((line) => line.startsWith('visage_session='))).toMatch(/Max-Age=0/);
  });

  it('sends the security headers on every answer', async () => {
    for (const response of [await http().get('/login'), await (await signIn(app)).get('/')]) {
      const csp = response.headers['content-security-policy'];
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBeTruthy();
    }
    expect((await http().get('/login')).text).not.toMatch(/<script(?![^>]*\bsrc=)/);
  });
});

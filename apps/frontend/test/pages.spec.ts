import { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY } from '../../../libs/auth/test/test-keys';
import { ImageEntity, PersonEntity } from '@visage/persistence';
import { MigratedTestDatabase, Rows, TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { DashboardClient, DashboardTestBed, signIn } from './harness';

const XSS_PATH = 'evil/<script>alert("path")</script>".jpg';
const XSS_NAME = '<script>alert("name")</script> "Mallory"';
const XSS_ERROR = '<img src=x onerror=alert("error")> "quoted"';

/** No raw markup from the data may survive; the same text must be there, escaped. */
function expectEscaped(html: string): void {
  expect(html).not.toMatch(/<script>alert/);
  expect(html).not.toMatch(/<img src=x/);
}

/** Handlebars writes `=` in attributes as `&#x3D;`; a browser reads it back as `=`. */
function attribute(html: string, pattern: RegExp): string | undefined {
  return pattern.exec(html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'))?.[1];
}

function expectNoStackTrace(html: string): void {
  expect(html).not.toMatch(/\bat [\w.<>]+ \(/);
  expect(html).not.toMatch(/\.ts:\d+/);
}

describe.each(TEST_DRIVERS)('frontend routes on $name', (driver) => {
  let db: MigratedTestDatabase;
  let app: NestExpressApplication;
  let rows: Rows;
  const bed = new DashboardTestBed();
  const { root, receiver } = bed;
  let alice: PersonEntity;
  let mallory: PersonEntity;
  let recognised: ImageEntity;
  let failed: ImageEntity;
  let xss: ImageEntity;
  let dashboard: DashboardClient;
  const http = () => dashboard;

  beforeAll(async () => {
    ({ db, rows } = await bed.open(driver, 'visage_frontend'));
    await root.picture('holiday/beach.jpg', 400, 300);
    await root.picture('known/alice.jpg', 120, 120);
    alice = await rows.person('Alice');
    mallory = await rows.person(XSS_NAME);
    await rows.enrolled(alice.id, 'known/alice.jpg');
    await rows.enrolled(alice.id, '/elsewhere/alice-2.jpg');
    await rows.enrolled(alice.id, 'review:4242');
    for (let n = 1; n <= 55; n += 1) await rows.image(`bulk/${String(n).padStart(3, '0')}.jpg`, { status: 'processed' });
    recognised = await rows.image('holiday/beach.jpg', { status: 'processed', width: 400, height: 300 });
    await rows.face(recognised.id, alice, { x: 50, y: 60, width: 80, height: 90 }, 0.4213);
    await rows.face(recognised.id, null, { x: 250, y: 10, width: 60, height: 70 });
    failed = await rows.image('broken.jpg', { status: 'failed', attempts: 3, lastError: 'recognizer unavailable' });
    xss = await rows.image(XSS_PATH, { status: 'failed', attempts: 1, lastError: XSS_ERROR });
    await rows.face(xss.id, mallory);
    app = await bed.start();
    dashboard = await signIn(app);
  });

  afterAll(() => bed.close());

  describe('images page', () => {
    it('lists the newest images with their status, persons, faces, attempts and error, plus counts per status', async () => {
      const page = await http().get('/').expect(200).expect('content-type', /html/);
      expect(page.text).toContain('Persons of Interest');
      expect(page.text).toMatch(/data-count-for="processed">56</);
      expect(page.text).toMatch(/data-count-for="failed">2</);
      expect(page.text).toMatch(/data-count-for="total">58</);
      const beach = page.text.slice(page.text.indexOf(`data-id="${recognised.id}"`));
      expect(beach).toMatch(/^[^]*?holiday\/<wbr>beach\.<wbr>jpg[^]*?<span class="chip">Alice<\/span>[^]*?Processed[^]*?>2<\/td>/);
      expect(page.text).toContain('recognizer unavailable');
      expect(page.text).toContain(`/thumbnails?path&#x3D;holiday%2Fbeach.jpg&amp;size&#x3D;80`);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    });

    it('pages with keyset cursors: 50 rows, then the rest, no row twice, and back again', async () => {
      const first = await http().get('/').expect(200);
      const ids = (html: string) => [...html.matchAll(/<tr data-id="(\d+)"/g)].map((match) => Number(match[1]));
      const firstIds = ids(first.text);
      expect(firstIds).toHaveLength(50);
      expect(firstIds[0]).toBe(xss.id);
      const older = attribute(first.text, /href="(\/\?older=\d+)" rel="next"/);
      expect(older).toBe(`/?older=${firstIds[49]}`);
      const second = await http().get(older!).expect(200);
      const secondIds = ids(second.text);
      expect(secondIds).toHaveLength(8);
      expect(new Set([...firstIds, ...secondIds]).size).toBe(58);
      expect(second.text).toMatch(/data-older-link hidden/);
      const newer = attribute(second.text, /href="(\/\?newer=\d+)" rel="prev"/);
      expect(ids((await http().get(newer!).expect(200)).text)).toEqual(firstIds);
    });

    it('filters by status and searches by path or person name', async () => {
      const failedOnly = await http().get('/?status=failed').expect(200);
      expect([...failedOnly.text.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([xss.id, failed.id]);
      // The headline counts what the filter shows, not every image.
      expect(failedOnly.text).toContain(
        '<span data-count-for="failed">2</span> of <span data-count-for="total">58</span> images are Failed, newest first',
      );
      expect((await http().get('/?q=alic').expect(200)).text).toContain('Images matching the filter, newest first');
      expect(failedOnly.text).toMatch(/<option value="failed" selected>/);
      const byName = await http().get('/?q=alic').expect(200);
      expect([...byName.text.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([recognised.id]);
      const byPath = await http().get('/?q=bulk%2F05').expect(200);
      expect([...byPath.text.matchAll(/<tr data-id="(\d+)"/g)]).toHaveLength(6); // 050..055
      const none = await http().get('/?q=nobody-has-this').expect(200);
      expect(none.text).toContain('No images match this filter.');
    });

    it('lists where a person appears (?person=, the people page links there), and keeps the person in the live feed', async () => {
      const byPerson = await http().get(`/?person=${alice.id}`).expect(200);
      expect([...byPerson.text.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([recognised.id]);
      expect(byPerson.text).toContain(`data-person="${alice.id}"`);
      expect(byPerson.text).toContain(`<input type="hidden" name="person" value="${alice.id}">`);
      await http().get('/?person=0').expect(400);
      await http().get('/?person=alice').expect(400);
      await http().get('/?person=9999999999').expect(400); // beyond the id column, as for every route id
      const since = new Date(Date.now() - 60_000).toISOString();
      const feed = (await http().get(`/api/images/changes?since=${since}&person=${alice.id}`).expect(200)).body as {
        rows: Array<{ id: number; matchesFilter: boolean }>;
      };
      expect(feed.rows.filter((row) => row.matchesFilter).map((row) => row.id)).toEqual([recognised.id]);
    });

    it('answers bad filters with a clear 400 page, no stack trace', async () => {
      const bad = await http().get('/?status=bogus').expect(400);
      expect(bad.text).toContain('status must be one of pending, processing, retrying, processed, unrecognized, failed');
      expectNoStackTrace(bad.text);
      await http().get('/?older=abc').expect(400);
      await http().get('/?older=5&newer=9').expect(400);
      await http().get('/?status=failed&status=pending').expect(400);
      expect(attribute(bad.text, /data-code="([^"]+)"/)).toBe('invalid_status');
      expect(bad.text).toContain('<code>invalid_status</code>');
    });
  });

  describe('live updates feed', () => {
    it('returns rows changed after the cursor with their filter match, and fresh counts', async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const body = (await http().get(`/api/images/changes?since=${since}&status=failed`).expect(200)).body;
      expect(body.rows.length).toBe(58);
      const failedRow = body.rows.find((row: { id: number }) => row.id === failed.id);
      expect(failedRow).toMatchObject({ status: 'failed', statusLabel: 'Failed', attempts: 3, matchesFilter: true });
      expect(body.rows.find((row: { id: number }) => row.id === recognised.id)).toMatchObject({
        persons: ['Alice'],
        faceCount: 2,
        matchesFilter: false,
      });
      expect(body.counts.find((count: { status: string }) => count.status === 'failed').count).toBe(2);
      expect(Date.parse(body.cursor)).toBeGreaterThanOrEqual(Date.parse(since));

      const later = (
        await http()
          .get(`/api/images/changes?since=${new Date(Date.now() + 60_000).toISOString()}`)
          .expect(200)
      ).body;
      expect(later).toEqual({ cursor: expect.any(String), rows: [] }); // nothing changed: no counting either
    });

    it('serves one row for a watching detail page, 404 JSON for an unknown id', async () => {
      const row = (await http().get(`/api/images/${recognised.id}`).expect(200)).body;
      expect(row).toMatchObject({ id: recognised.id, status: 'processed', persons: ['Alice'], version: expect.any(String) });
      const missing = await http().get('/api/images/424242').expect(404).expect('content-type', /json/);
      expect(missing.body).toEqual({
        statusCode: 404,
        error: 'Page not found',
        message: 'There is no image with id 424242.',
        code: 'image_not_found',
      });
    });

    it('refuses a missing or malformed cursor with JSON 400', async () => {
      const missing = await http().get('/api/images/changes').expect(400).expect('content-type', /json/);
      expect(missing.body).toMatchObject({ statusCode: 400, code: 'invalid_since', message: expect.stringContaining('since is required') });
      const malformed = await http().get('/api/images/changes?since=yesterday').expect(400);
      expect(malformed.body).toMatchObject({ code: 'invalid_since', message: expect.stringContaining('since must be an ISO 8601 time') });
    });
  });

  describe('image detail', () => {
    it('draws each face box over the picture, labelled with name and distance or "unknown"', async () => {
      const page = await http().get(`/images/${recognised.id}`).expect(200);
      expect(page.text).toContain('viewBox="0 0 400 300"');
      expect(page.text).toContain(`href="/thumbnails?path&#x3D;holiday%2Fbeach.jpg&amp;size&#x3D;1280"`);
      expect(page.text).toContain('<rect class="face__box" x="50" y="60" width="80" height="90"/>');
      expect(page.text).toContain('<rect class="face__box" x="250" y="10" width="60" height="70"/>');
      expect(page.text).toMatch(/<text class="face__label"[^>]*>1 · Alice \(0\.42\)<\/text>/);
      expect(page.text).toMatch(/<text class="face__label"[^>]*>2 · unknown<\/text>/);
      expect(page.text).not.toContain('Retry processing');
    });

    it('shows the processing history and a retry button for a failed image', async () => {
      const page = await http().get(`/images/${failed.id}`).expect(200);
      expect(page.text).toMatch(/<dt>Attempts<\/dt><dd>3<\/dd>/);
      expect(page.text).toContain('recognizer unavailable');
      expect(page.text).toContain(`action="/images/${failed.id}/retry"`);
      expect(page.text).toContain('The picture cannot be shown'); // broken.jpg does not exist
    });

    it('shows a retrying image with its badge and next attempt, watched for changes, without a retry button', async () => {
      const next = new Date(Date.now() + 60_000);
      const retrying = await rows.image('waiting.jpg', { status: 'retrying', attempts: 1, lastError: 'UNAVAILABLE', nextAttemptAt: next });
      const page = await http().get(`/images/${retrying.id}`).expect(200);
      expect(page.text).toContain('badge--retrying');
      expect(page.text).toContain('>Retrying</span>');
      expect(page.text).toContain(`<dt>Next attempt</dt><dd><time datetime="${next.toISOString()}">`);
      expect(page.text).toContain(`data-watch-image="${retrying.id}"`);
      expect(page.text).not.toContain('Retry processing');
      await db.dataSource.getRepository(ImageEntity).delete(retrying.id); // other tests count the rows
    });

    it('renders a 404 page for unknown or malformed ids', async () => {
      const missing = await http().get('/images/987654').expect(404).expect('content-type', /html/);
      expect(missing.text).toContain('There is no image with id 987654.');
      expect(missing.text).toContain('Persons of Interest');
      expect(missing.text).toContain('data-code="image_not_found"');
      expectNoStackTrace(missing.text);
      expect((await http().get('/images/abc').expect(404)).text).toContain('data-code="image_not_found"');
      expect((await http().get('/no/such/page').expect(404)).text).toContain('data-code="route_not_found"');
    });

    it('answers a photo for an unknown person with the JSON 404 and its code, not a page', async () => {
      const missing = await http().post('/persons/abc/photo').set('X-CSRF-Token', dashboard.csrf).expect(404).expect('content-type', /json/);
      expect(missing.body).toEqual({
        statusCode: 404,
        error: 'Page not found',
        message: 'There is no person with id abc.',
        code: 'person_not_found',
      });
    });
  });

  describe('escaping', () => {
    it('renders paths, names and errors containing markup as text on every page', async () => {
      for (const url of ['/', '/?status=failed', `/images/${xss.id}`, '/persons', `/?q=${encodeURIComponent('<script>')}`]) {
        const page = await http().get(url).expect(200);
        expectEscaped(page.text);
      }
      const list = (await http().get('/').expect(200)).text;
      expect(list).toContain('evil/<wbr>&lt;script&gt;alert(&quot;path&quot;)&lt;/<wbr>script&gt;&quot;.<wbr>jpg');
      expect(list).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(&quot;error&quot;)&gt; &quot;quoted&quot;');
      expect(list).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; &quot;Mallory&quot;');
      const search = (
        await http()
          .get(`/?q=${encodeURIComponent('"><script>x')}`)
          .expect(200)
      ).text;
      expect(search).toContain('value="&quot;&gt;&lt;script&gt;x"');
    });
  });

  describe('actions through the receiver', () => {
    it('retries a failed image, then says so on every reload of the page (which reloads itself as the image moves on)', async () => {
      receiver.reply('POST', `/images/${failed.id}/retry`, 202, { id: failed.id, status: 'pending' });
      const posted = await http().post(`/images/${failed.id}/retry`).type('form').send(dashboard.form()).expect(303);
      expect(posted.headers.location).toBe(`/images/${failed.id}?retried=1`);
      expect(receiver.requests.at(-1)).toMatchObject({ method: 'POST', url: `/images/${failed.id}/retry` });
      for (let reload = 0; reload < 2; reload++) {
        const shown = await http()
          .get(posted.headers.location as string)
          .set('Cookie', dashboard.cookie)
          .expect(200);
        expect(shown.text).toContain(`Image ${failed.id} was queued again.`);
      }
      expect((await http().get(`/images/${failed.id}`).set('Cookie', dashboard.cookie).expect(200)).text).not.toContain('was queued again');
    });

    it('shows a refused retry as an error message, escaped', async () => {
      receiver.reply('POST', `/images/${xss.id}/retry`, 409, { statusCode: 409, error: 'Conflict', message: '<b>not</b> failed' });
      const refused = await http().post(`/images/${xss.id}/retry`).type('form').send(dashboard.form()).expect(303);
      const cookie = (refused.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]);
      const page = await http()
        .get(`/images/${xss.id}`)
        .set('Cookie', [dashboard.cookie, ...cookie])
        .expect(200);
      expect(page.text).toContain('Retry failed: &lt;b&gt;not&lt;/b&gt; failed');
    });

    it('adds a person and enrols a face by path, passing the receiver’s validation message and note on', async () => {
      receiver.reply('POST', '/persons', 201, { id: 77, name: 'Carol' });
      const added = await http()
        .post('/persons')
        .type('form')
        .send(dashboard.form({ name: '  Carol ' }))
        .expect(303);
      expect(added.headers.location).toBe('/persons#person-77');
      expect(receiver.requests.at(-1)).toMatchObject({
        method: 'POST',
        url: '/persons',
        body: { name: 'Carol' },
        authorization: `Bearer ${TEST_ADMIN_KEY}`,
      });

      receiver.reply('POST', `/persons/${alice.id}/faces`, 422, {
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: 'no face found in holiday/beach.jpg',
      });
      const enrolled = await http()
        .post(`/persons/${alice.id}/faces`)
        .type('form')
        .send(dashboard.form({ path: 'holiday/beach.jpg' }))
        .expect(303);
      expect(receiver.requests.at(-1)).toMatchObject({ url: `/persons/${alice.id}/faces`, body: { path: 'holiday/beach.jpg' } });
      const cookie = (enrolled.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]);
      const page = await http()
        .get('/persons')
        .set('Cookie', [dashboard.cookie, ...cookie])
        .expect(200);
      expect(page.text).toContain('Could not enrol holiday/beach.jpg: no face found in holiday/beach.jpg');
      expect(page.text).toMatch(/class="flash flash--error" role="alert"/);

      const note = 'the photo shows 2 faces: the clearly dominant one (largest and most central) was enrolled';
      receiver.reply('POST', `/persons/${alice.id}/faces`, 201, {
        id: 5,
        personId: alice.id,
        personName: 'Alice',
        path: 'party.jpg',
        facesInPhoto: 2,
        note,
      });
      const dominant = await http()
        .post(`/persons/${alice.id}/faces`)
        .type('form')
        .send(dashboard.form({ path: 'party.jpg' }))
        .expect(303);
      const flash = (dominant.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]);
      expect(
        (
          await http()
            .get('/persons')
            .set('Cookie', [dashboard.cookie, ...flash])
            .expect(200)
        ).text,
      ).toContain(`Enrolled the face in party.jpg (${note}).`);
    });

    it('refuses cross-site form posts and asks for missing fields without calling the receiver', async () => {
      const before = receiver.requests.length;
      await http().post(`/images/${failed.id}/retry`).set('Origin', 'https://evil.example').type('form').send(dashboard.form()).expect(403);
      await http().post(`/images/${failed.id}/retry`).expect(403); // no CSRF token
      const empty = await http()
        .post('/persons')
        .type('form')
        .send(dashboard.form({ name: '   ' }))
        .expect(303);
      expect(empty.headers['set-cookie']?.[0]).toContain('visage_flash=');
      expect(receiver.requests.length).toBe(before);
    });

    it("refuses a bad form value with the shared rule's code, back on its page, without calling the receiver", async () => {
      const before = receiver.requests.length;
      const refused = async (url: string, fields: Record<string, string>) => {
        const posted = await http().post(url).type('form').send(dashboard.form(fields)).expect(303);
        const location = posted.headers.location as string;
        const flash = (posted.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]!);
        const page = await http()
          .get(location.split('#')[0]!)
          .set('Cookie', [dashboard.cookie, ...flash])
          .expect(200);
        return { location, code: attribute(page.text, /class="flash flash--error"[^>]*data-code="([^"]+)"/), text: page.text };
      };
      expect(await refused('/persons', { name: '   ' })).toMatchObject({ location: '/persons', code: 'name_required' });
      const control = await refused('/persons', { name: 'tab\there' });
      expect(control.code).toBe('name_invalid');
      expect(control.text).toContain('Could not add the person: name must not contain control or bidirectional-override characters');
      expect((await refused('/persons', { name: 'x'.repeat(256) })).code).toBe('name_too_long');
      const card = `/persons#person-${alice.id}`;
      expect(await refused(`/persons/${alice.id}/faces`, { path: 'a\0.jpg' })).toMatchObject({ location: card, code: 'path_invalid' });
      expect(await refused(`/persons/${alice.id}/faces`, { path: ' ' })).toMatchObject({ location: card, code: 'path_required' });
      expect(await refused(`/persons/${alice.id}/merge`, { into: '' })).toMatchObject({ location: card, code: 'into_required' });
      expect(await refused(`/persons/${alice.id}/merge`, { into: 'tab\there' })).toMatchObject({ location: card, code: 'into_invalid' });
      expect(receiver.requests.length).toBe(before);
    });
  });

  describe('people page', () => {
    it('lists each person with enrolled faces (thumbnail only inside the root) and recognised images', async () => {
      const page = await http().get('/persons').expect(200);
      const aliceCard = page.text.slice(page.text.indexOf(`id="person-${alice.id}"`));
      expect(aliceCard).toMatch(/^[^]*?<span class="stat">3<\/span> enrolled faces/);
      expect(aliceCard).toContain('src="/thumbnails?path&#x3D;known%2Falice.jpg&amp;size&#x3D;160"');
      expect(aliceCard).toMatch(/thumb--none">no preview<\/span>\s*<span class="thumbs__caption" title="\/elsewhere\/alice-2.jpg">/);
      // A face enrolled through review is shown by its crop, not as "no preview".
      expect(aliceCard).toMatch(
        /<img class="thumb thumb--lg" src="\/faces\/4242\/crop"[^>]*>\s*<span class="thumbs__caption" title="review:4242">face #4242</,
      );
      expect(aliceCard).toMatch(/recognised in <span class="stat">1<\/span> image/);
      expect(aliceCard).toContain(`href="/images/${recognised.id}"`);
    });
  });

  describe('health and assets', () => {
    it('reports live and ready (database)', async () => {
      await http().get('/health/live').expect(200, { status: 'ok' });
      const ready = await http().get('/health/ready').expect(200);
      expect(ready.body.info.database.status).toBe('up');
    });

    it('serves its stylesheet and script locally', async () => {
      await http().get('/static/app.css').expect(200).expect('content-type', /css/);
      await http()
        .get('/static/live.js')
        .expect(200)
        .expect('content-type', /javascript/);
    });
  });
});

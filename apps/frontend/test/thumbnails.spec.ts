import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '@visage/auth';
import { ConfigService } from '@visage/config';
import { DashboardImageRepository } from '@visage/persistence';
import { MigratedTestDatabase, openTestDatabase, Rows, TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { DashboardClient, ImagesRoot, signIn, startFrontend, testConfig } from './harness';
import { ThumbnailService } from '../src/thumbnails/thumbnail.service';

/** A vector picture sharp would render (librsvg): text that may name other files and URLs. */
const SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>';

describe.each(TEST_DRIVERS)('GET /thumbnails on $name', (driver) => {
  let db: MigratedTestDatabase;
  let app: NestExpressApplication;
  const root = new ImagesRoot();
  const outside = mkdtempSync(join(tmpdir(), 'visage-outside-'));
  let dashboard: DashboardClient;
  let viewer: DashboardClient;
  const http = () => dashboard;

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    await root.picture('a/photo.jpg', 640, 480);
    await root.picture('a/unlisted.jpg', 64, 64);
    await root.picture('known/ada_1.jpg', 64, 64);
    await root.picture('people/bob.jpg', 64, 64);
    await sharp({ create: { width: 50, height: 50, channels: 3, background: '#f00' } })
      .jpeg()
      .toFile(join(outside, 'secret.jpg'));
    symlinkSync(join(outside, 'secret.jpg'), join(root.dir, 'a/escape.jpg'));
    symlinkSync(outside, join(root.dir, 'linked-dir'));
    writeFileSync(join(root.dir, 'a/notes.jpg'), 'this is not a picture');
    writeFileSync(join(root.dir, 'a/vector.jpg'), SVG);
    writeFileSync(join(root.dir, 'a/empty.jpg'), '');
    // Rows for every path the refusals below name, so each is refused for its own problem, not for being unknown.
    const rows = new Rows(db.dataSource);
    for (const path of [
      'a/photo.jpg',
      'a/notes.jpg',
      'a/vector.jpg',
      'a/missing.jpg',
      'a',
      'a/empty.jpg',
      'a/escape.jpg',
      'linked-dir/secret.jpg',
      'linked-dir/missing.jpg',
    ]) {
      await rows.image(path);
    }
    const ada = await rows.person('Ada');
    await rows.enrolled(ada.id, 'known:ada_1.jpg');
    await rows.enrolled(ada.id, 'path:people/bob.jpg');
    app = await startFrontend(testConfig(db, root.dir, 'http://127.0.0.1:9'));
    dashboard = await signIn(app);
    viewer = await signIn(app, (await app.get(ApiKeyService).create('viewer', 'read', 'test')).key);
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
    root.remove();
    rmSync(outside, { recursive: true, force: true });
  });

  it('renders a webp thumbnail of a file inside the root, with ETag and Cache-Control', async () => {
    const response = await http().get('/thumbnails').query({ path: 'a/photo.jpg', size: '160' }).buffer(true).expect(200);
    expect(response.headers['content-type']).toBe('image/webp');
    expect(response.headers['cache-control']).toBe('private, max-age=300');
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/);
    const meta = await sharp(response.body as Buffer).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 160, 160]);

    const large = await http().get('/thumbnails').query({ path: 'a/photo.jpg', size: '1280' }).buffer(true).expect(200);
    const largeMeta = await sharp(large.body as Buffer).metadata();
    expect([largeMeta.width, largeMeta.height]).toEqual([640, 480]); // never enlarged, aspect kept
    expect(large.headers.etag).not.toBe(response.headers.etag);
  });

  it('answers 304 without a body when the ETag still matches', async () => {
    const first = await http().get('/thumbnails?path=a/photo.jpg').expect(200);
    const again = await http().get('/thumbnails?path=a/photo.jpg').set('If-None-Match', first.headers.etag).expect(304);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.text ?? '').toBe('');
    await http().get('/thumbnails?path=a/photo.jpg').set('If-None-Match', '"stale"').expect(200);
  });

  it.each([
    ['a parent-directory escape', '../../etc/passwd', 422, 'outside_root'],
    ['a nested escape', 'a/../../secret.jpg', 422, 'outside_root'],
    ['an absolute path outside the root', '/etc/hostname', 422, 'outside_root'],
    ['a symlink to a file outside the root', 'a/escape.jpg', 422, 'outside_root'],
    ['a file under a symlinked directory outside the root', 'linked-dir/secret.jpg', 422, 'outside_root'],
    ['a missing file under a symlinked directory outside the root (no existence oracle)', 'linked-dir/missing.jpg', 422, 'outside_root'],
    ['a missing file', 'a/missing.jpg', 422, 'not_found'],
    ['a directory', 'a', 422, 'not_a_file'],
    ['an empty file', 'a/empty.jpg', 422, 'empty_file'],
    ['a NUL byte', 'a/photo.jpg\0.png', 400, 'path_invalid'],
    ['an empty path', '', 400, 'path_required'],
    ['a file that is not an image', 'a/notes.jpg', 415, 'not_an_image'],
    ['an SVG, which sharp would render (magic bytes, not the name, decide)', 'a/vector.jpg', 415, 'not_an_image'],
    ['a picture nobody submitted or enrolled', 'a/unlisted.jpg', 422, 'not_submitted'],
    ['a missing file nobody submitted (the same answer: no listing of the root)', 'a/nothing.jpg', 422, 'not_submitted'],
    ['a directory nobody submitted', 'known', 422, 'not_submitted'],
  ])("refuses %s (the status and code of the receiver's path table)", async (_what, path, status, code) => {
    const response = await http().get('/thumbnails').query({ path }).expect(status).expect('content-type', /json/);
    expect(response.body).toMatchObject({ statusCode: status, code });
    expect(response.headers['content-type']).not.toMatch(/image/);
    expect(JSON.stringify(response.body)).not.toContain(outside);
  });

  it('shows a read session the submitted images and enrolled faces, and no other file of the root', async () => {
    await viewer.get('/thumbnails?path=a/photo.jpg').expect(200).expect('content-type', 'image/webp');
    await viewer.get('/thumbnails?path=known/ada_1.jpg').expect(200).expect('content-type', 'image/webp'); // known:ada_1.jpg
    await viewer.get('/thumbnails?path=people/bob.jpg').expect(200).expect('content-type', 'image/webp'); // path:people/bob.jpg
    const unlisted = await viewer.get('/thumbnails?path=a/unlisted.jpg').expect(422);
    const missing = await viewer.get('/thumbnails?path=a/nothing.jpg').expect(422);
    expect(unlisted.body).toEqual(missing.body);
    expect(unlisted.body).toMatchObject({ code: 'not_submitted' });
  });

  it('answers an <img> request for a refused file with the status and a placeholder picture', async () => {
    const response = await http().get('/thumbnails?path=a/missing.jpg').set('Accept', 'image/avif,image/webp,image/*,*/*;q=0.8').expect(422);
    expect(response.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(response.headers['cache-control']).toBe('no-store');
    await http().get('/thumbnails?path=../x.jpg').set('Accept', 'image/*').expect(422).expect('content-type', /svg/);
  });

  it('refuses a missing path, repeated path or a size outside the allowed set', async () => {
    await http().get('/thumbnails').expect(400);
    await http().get('/thumbnails?path=a/photo.jpg&path=b.jpg').expect(400);
    const size = await http().get('/thumbnails?path=a/photo.jpg&size=4000').expect(400);
    expect(size.body.message).toBe('size must be one of 80, 160, 320, 1280');
  });
});

describe('ThumbnailService.locate (enrolled face sources)', () => {
  const root = new ImagesRoot();
  let service: ThumbnailService;

  beforeAll(async () => {
    await root.picture('known/ada_1.jpg', 64, 64);
    await root.picture('people/ada.jpg', 64, 64);
    const values: Record<string, unknown> = {
      storage: { imagesRoot: root.dir, knownFacesDir: join(root.dir, 'known') },
      MAX_IMAGE_BYTES: 1_000_000,
      MAX_IMAGE_PIXELS: 1_000_000,
    };
    // locate reads no rows: its sources come from enrolments already.
    service = new ThumbnailService({ get: (key: string) => values[key], values } as unknown as ConfigService, {} as DashboardImageRepository);
  });

  afterAll(() => root.remove());

  it.each([
    ['known: a file of KNOWN_FACES_DIR', 'known:ada_1.jpg', 'known/ada_1.jpg'],
    ['path: a path under IMAGES_ROOT', 'path:people/ada.jpg', 'people/ada.jpg'],
    ['a bare path (older rows)', 'people/ada.jpg', 'people/ada.jpg'],
    ['a bare known-faces file name', 'ada_1.jpg', 'known/ada_1.jpg'],
  ])('finds %s', async (_, sourceName, relative) => {
    await expect(service.locate(sourceName)).resolves.toBe(relative);
  });

  it.each([['known:../../etc/hostname'], ['path:../etc/hostname'], ['path:/etc/hostname'], ['known:missing.jpg']])(
    'gives no picture for %s',
    async (sourceName) => {
      await expect(service.locate(sourceName)).resolves.toBeUndefined();
    },
  );
});

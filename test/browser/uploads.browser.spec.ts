import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../libs/auth/test/test-keys';
import { fixtureBytes } from '../support/fixtures';
import { hasChromium, launchChromium, SCREENSHOTS, signInBrowser, warnIfNoChromium } from './chromium';
import { BrowserStack, startBrowserStack } from './embedded-stack';
import { until } from '../support/until';

/*
 * Uploading from the dashboard on the real pipeline (embedded stack, real recognizer, SQLite): "Upload photos" on the
 * images page (picker and drag-and-drop, several files, progress, per-file result with a link) until the photos are
 * named in the table, "Add a photo" on a person's card, and the CSRF token and scopes those actions need.
 */
warnIfNoChromium('dashboard upload browser test');

describe.skipIf(!hasChromium)('dashboard uploads in headless Chromium on the real pipeline', () => {
  let stack: BrowserStack | undefined;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startBrowserStack(
      { 'known/eileen-collins_1.png': 'astronaut.png', 'known/cameraman_1.png': 'camera.png' },
      { 'eileen-collins': 1, cameraman: 1 },
    );
    page = await stack.context.newPage();
  }, 300_000);

  afterAll(() => stack?.close());

  const resultTexts = () => page.locator('[data-upload-results] .upload__status').allTextContents();

  it('uploads three photos, two picked and one dropped on the page, shows each result with a link, then their names in the table', async () => {
    const { dashboard } = stack!;
    await page.goto(`${dashboard}/`);
    await expect(page.locator('#upload-heading').textContent()).resolves.toBe('Upload photos');
    await page.setInputFiles('#upload-files', [
      { name: 'astronaut.jpg', mimeType: 'image/jpeg', buffer: await fixtureBytes('astronaut_flipped.jpg') },
      { name: 'cameraman.jpg', mimeType: 'image/jpeg', buffer: await fixtureBytes('camera_rescaled.jpg') },
    ]);
    // Dropped beside the box, on the table: the page takes it (a browser would otherwise open the file).
    const rocket = (await fixtureBytes('rocket.jpg')).toString('base64');
    const dropped = await page.evaluateHandle((base64) => {
      const web = globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } };
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const transfer = new web.DataTransfer();
      transfer.items.add(new File([bytes], 'rocket.jpg', { type: 'image/jpeg' }));
      return transfer;
    }, rocket);
    await page.dispatchEvent('#images-table', 'dragover', { dataTransfer: dropped });
    await page.dispatchEvent('#images-table', 'drop', { dataTransfer: dropped });

    await until(
      async () => ((await resultTexts()).filter((text) => text.startsWith('Queued as image #')).length === 3 ? true : undefined),
      'three upload results',
      60_000,
    );
    expect(await page.locator('[data-upload-results] .upload__name').allTextContents()).toEqual(['astronaut.jpg', 'cameraman.jpg', 'rocket.jpg']);
    expect(
      await page.locator('[data-upload-results] progress').evaluateAll((bars) => bars.map((bar) => (bar as unknown as { value: number }).value)),
    ).toEqual([100, 100, 100]);
    const links = await page.locator('[data-upload-results] a').evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
    expect(links).toHaveLength(3);
    expect(links.every((href) => /^\/images\/\d+$/.test(href ?? ''))).toBe(true);

    // The live table names them without a reload.
    const astronautRow = page.locator(`#images-table tr:has(a[href="${links[0]}"])`);
    const cameramanRow = page.locator(`#images-table tr:has(a[href="${links[1]}"])`);
    await until(
      async () => {
        const texts = [
          await astronautRow
            .first()
            .textContent()
            .catch(() => ''),
          await cameramanRow
            .first()
            .textContent()
            .catch(() => ''),
        ];
        return texts[0]?.includes('eileen-collins') && texts[1]?.includes('cameraman') ? true : undefined;
      },
      'both photos named in the table',
      120_000,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'uploads.png'), fullPage: true });
  });

  it('answers the same bytes again with the existing image, and a text file with the reason', async () => {
    await page.setInputFiles('#upload-files', [
      { name: 'again.jpg', mimeType: 'image/jpeg', buffer: await fixtureBytes('astronaut_flipped.jpg') },
      { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('plain text behind a .jpg extension\n') },
    ]);
    await until(
      async () => ((await resultTexts()).length === 5 && !(await resultTexts()).some((text) => /Waiting|Uploading/.test(text)) ? true : undefined),
      'the two new results',
      90_000,
    );
    const [again, notes] = (await resultTexts()).slice(3);
    expect(again).toMatch(/^Already uploaded as image #\d+ \(processed\)$/);
    expect(notes).toMatch(/not a JPEG, PNG, WebP, GIF, TIFF or AVIF image/);
  });

  it('"Add a photo" on a person\'s card enrols the face of the chosen file', async () => {
    const { dashboard, receiver } = stack!;
    const created = await fetch(`${receiver}/persons`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Rescaled Cameraman' }),
    });
    const person = (await created.json()) as { id: number };
    await page.goto(`${dashboard}/persons`);
    await page.setInputFiles(`#photo-${person.id}`, { name: 'me.png', mimeType: 'image/png', buffer: await fixtureBytes('camera.png') });
    await Promise.all([page.waitForEvent('load'), page.click(`#person-${person.id} [data-photo-form] button[type="submit"]`)]);
    await expect(page.locator('.flash').textContent()).resolves.toContain('Added the photo');
    await expect(page.locator(`#person-${person.id} .person__head .stat`).first().textContent()).resolves.toBe('1');
  });

  it('needs the CSRF token, and the submit scope: a read-only session sees no upload and is refused', async () => {
    const { dashboard, receiver } = stack!;
    await page.goto(`${dashboard}/`);
    const withoutToken = await page.evaluate(async () => {
      const body = new FormData();
      body.append('file', new File([new Uint8Array([0xff, 0xd8, 0xff])], 'x.jpg'));
      return (await fetch('/upload', { method: 'POST', body })).status;
    });
    expect(withoutToken).toBe(403);

    const key = await fetch(`${receiver}/keys`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'looker', scope: 'read' }),
    });
    const readKey = ((await key.json()) as { key: string }).key;
    const profile = mkdtempSync(join(tmpdir(), 'visage-readonly-'));
    const readOnly = await launchChromium(profile);
    try {
      await signInBrowser(readOnly, dashboard, readKey);
      const looker = await readOnly.newPage();
      await looker.goto(`${dashboard}/`);
      expect(await looker.locator('[data-upload]').count()).toBe(0);
      expect(await looker.locator('[data-photo-form]').count()).toBe(0);
      const refused = await looker.evaluate(async () => {
        const web = globalThis as unknown as { document: { querySelector(selector: string): { value: string } | null } };
        const token = web.document.querySelector('input[name="_csrf"]')?.value ?? '';
        const body = new FormData();
        body.append('file', new File([new Uint8Array([0xff, 0xd8, 0xff])], 'x.jpg'));
        return (await fetch('/upload', { method: 'POST', body, headers: { 'X-CSRF-Token': token } })).status;
      });
      expect(refused).toBe(403);
    } finally {
      await readOnly.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

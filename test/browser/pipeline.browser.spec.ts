import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PausableConsumer, QUEUE_CONSUMER } from '@visage/queue';
import { EmbeddedVisage } from '../../apps/embedded/src/embedded';
import { BrowserStack, startBrowserStack } from './embedded-stack';
import { hasChromium, markPage, SCREENSHOTS, seriousViolations, stillSamePage, warnIfNoChromium } from './chromium';
import { bearer } from '../../libs/auth/test/test-keys';
import { until } from '../support/until';

/*
 * The dashboard on the real pipeline: the embedded stack (receiver, in-process queue, processor, real recognizer on
 * SQLite) with two people enrolled from known/ (committed fixtures and variants of them), an image submitted through the receiver's API, and
 * headless Chromium watching the dashboard. Saves the screenshots of the three pages.
 */
warnIfNoChromium('dashboard browser test on the real pipeline');

const FINAL = ['processed', 'unrecognized', 'failed'];

interface ImageJson {
  id: number;
  status: string;
  faces: Array<{ box: { x: number; y: number; width: number; height: number }; person: { name: string } | null }>;
}

describe.skipIf(!hasChromium)('dashboard in headless Chromium on the real pipeline', () => {
  let stack: BrowserStack | undefined;
  let visage: EmbeddedVisage;
  let context: BrowserContext;
  let dashboard = '';
  let receiver = '';
  let astronautId = 0;
  let groupId = 0;

  async function submit(path: string): Promise<number> {
    const response = await fetch(`${receiver}/image/post`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ path }),
    });
    const body = (await response.json()) as { id: number; status: string };
    expect(response.status, JSON.stringify(body)).toBe(202);
    expect(body.status).toBe('pending');
    return body.id;
  }

  async function image(id: number): Promise<ImageJson> {
    return (await (await fetch(`${receiver}/images/${id}`, { headers: bearer() })).json()) as ImageJson;
  }

  const finished = (id: number) =>
    until(
      async () => {
        const row = await image(id);
        return FINAL.includes(row.status) ? row : undefined;
      },
      `image ${id} to finish`,
      90_000,
    );

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startBrowserStack(
      {
        'known/eileen-collins_1.png': 'astronaut.png',
        'known/eileen-collins_2.jpg': 'large.jpg',
        'known/cameraman_1.png': 'camera.png',
        'inbox/astronaut.jpg': 'astronaut_flipped.jpg',
        'inbox/two-people.jpg': 'two_people.jpg',
        'inbox/rocket.jpg': 'rocket.jpg',
        'inbox/truncated_header.jpg': 'truncated_header.jpg',
      },
      { 'eileen-collins': 2, cameraman: 1 },
    );
    ({ visage, receiver, dashboard, context } = stack);
  }, 300_000);

  afterAll(() => stack?.close());

  it('shows an image submitted to the receiver appear, then turn processed with its person, without reloading', async () => {
    const page = await context.newPage();
    await page.goto(`${dashboard}/`);
    await expect(page.locator('tbody tr[data-id]').count()).resolves.toBe(0);
    await markPage(page);

    // Hold the queue so the pending state is on screen for at least one poll, whatever the machine's speed.
    const consumer = visage.processor.get<PausableConsumer>(QUEUE_CONSUMER);
    consumer.pause();
    try {
      astronautId = await submit('inbox/astronaut.jpg');
      const row = page.locator(`tr[data-id="${astronautId}"]`);
      await row.waitFor({ timeout: 20_000 });
      await expect(row.locator('.badge').textContent()).resolves.toBe('Pending');
      await expect(row.textContent()).resolves.toContain('inbox/astronaut.jpg');
      // The row built by live.js may wrap its path after `/` and `.`, never inside a word.
      await expect(row.locator('a.path wbr').count()).resolves.toBe(2);
    } finally {
      consumer.resume();
    }

    const row = page.locator(`tr[data-id="${astronautId}"]`);
    await row.locator('.badge', { hasText: 'Processed' }).waitFor({ timeout: 90_000 });
    await expect(row.locator('.chip').allTextContents()).resolves.toEqual(['eileen-collins']);
    await expect(page.locator('[data-count-for="processed"]').textContent()).resolves.toBe('1');
    await expect(stillSamePage(page)).resolves.toBe(true);
    await page.close();
  });

  it('draws the recognised faces with their names on the detail page', async () => {
    groupId = await submit('inbox/two-people.jpg');
    const stored = await finished(groupId);
    expect(stored.status).toBe('processed');

    const page = await context.newPage();
    await page.goto(`${dashboard}/images/${groupId}`);
    await expect(page.locator('h1 .badge').textContent()).resolves.toBe('Processed');
    const boxes = page.locator('svg.photo__svg rect.face__box');
    await expect(boxes.count()).resolves.toBe(stored.faces.length);
    const labels = await page.locator('svg.photo__svg text.face__label').allTextContents();
    expect(
      labels.some((label) => /^\d+ · eileen-collins \(0\.\d\d\)$/.test(label)),
      labels.join(' | '),
    ).toBe(true);
    expect(
      labels.some((label) => /^\d+ · cameraman \(0\.\d\d\)$/.test(label)),
      labels.join(' | '),
    ).toBe(true);
    expect(
      labels.every((label, index) => new RegExp(`^${index + 1} · (unknown|(eileen-collins|cameraman) \\(0\\.\\d\\d\\))$`).test(label)),
      labels.join(' | '),
    ).toBe(true);
    // Each box sits at the detector's coordinates, as stored by the processor.
    for (const [index, face] of stored.faces.entries()) {
      const rect = boxes.nth(index);
      await expect(rect.getAttribute('x')).resolves.toBe(String(face.box.x));
      await expect(rect.getAttribute('width')).resolves.toBe(String(face.box.width));
    }
    await page.locator('svg.photo__svg image').waitFor();
    await page.close();

    const single = await context.newPage();
    await single.goto(`${dashboard}/images/${astronautId}`);
    await expect(single.locator('svg.photo__svg rect.face__box').count()).resolves.toBe(1);
    await expect(single.locator('svg.photo__svg text.face__label').textContent()).resolves.toMatch(/^1 · eileen-collins \(0\.\d\d\)$/);
    await single.close();
  });

  it('passes axe-core on the real pages, works by keyboard, and saves screenshots of the three pages', async () => {
    // An image with nobody known in it and a corrupt file too, so the images page shows every outcome.
    const strangerId = await submit('inbox/rocket.jpg');
    const corruptId = await submit('inbox/truncated_header.jpg');
    await expect(finished(strangerId).then((row) => row.status)).resolves.toBe('unrecognized');
    await expect(finished(corruptId).then((row) => row.status)).resolves.toBe('failed');

    const page: Page = await context.newPage();
    for (const [name, path] of [
      ['images', '/'],
      ['image-detail', `/images/${groupId}`],
      ['persons', '/persons'],
    ] as const) {
      await page.goto(`${dashboard}${path}`);
      await page.waitForLoadState('networkidle');
      expect(await seriousViolations(page), `${name} page`).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    }
    await expect(page.locator('main').textContent()).resolves.toContain('eileen-collins');

    // Keyboard: the first Tab reaches the skip link, and Enter on a row's id link opens its detail page.
    await page.goto(`${dashboard}/`);
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Skip to content');
    await page.locator(`tr[data-id="${groupId}"] .col-id a`).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${dashboard}/images/${groupId}`);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${dashboard}/`);
    await page.waitForLoadState('networkidle');
    expect(await seriousViolations(page), 'images page on a phone').toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'images-phone.png'), fullPage: true });
    await page.close();
  });
});

import { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserStack, startBrowserStack } from './embedded-stack';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasChromium, SCREENSHOTS, seriousViolations, warnIfNoChromium } from './chromium';
import { bearer } from '../../libs/auth/test/test-keys';
import { until } from '../support/until';

/*
 * Face review on the real pipeline: the embedded stack (receiver, in-process queue, processor with its re-match
 * and clustering jobs, real recognizer, SQLite) and headless Chromium on the dashboard. An unknown person's three
 * photos form one group; naming it on "Unknown people" names all three images without resubmitting them; "Not
 * <name>" on one face unnames it, and it stays unnamed after a later re-match.
 */
warnIfNoChromium('face review browser test on the real pipeline');

interface ImageJson {
  id: number;
  status: string;
  faces: Array<{ id: number; person: { name: string } | null; galleryVersion: number | null }>;
}

describe.skipIf(!hasChromium)('face review in headless Chromium on the real pipeline', () => {
  let stack: BrowserStack | undefined;
  let context: BrowserContext;
  let dashboard = '';
  let receiver = '';
  const ids: number[] = [];

  const image = async (id: number) => (await (await fetch(`${receiver}/images/${id}`, { headers: bearer() })).json()) as ImageJson;

  beforeAll(async () => {
    // Three photos of one person nobody enrolled; the camera man is the only known face.
    stack = await startBrowserStack(
      {
        'inbox/eileen-1.png': 'astronaut.png',
        'inbox/eileen-2.jpg': 'astronaut_flipped.jpg',
        'inbox/eileen-3.jpg': 'large.jpg',
        'known/cameraman_1.png': 'camera.png',
        'more/cameraman-2.jpg': 'camera_rescaled.jpg',
      },
      { cameraman: 1 },
    );
    ({ receiver, dashboard, context } = stack);
    for (const path of ['inbox/eileen-1.png', 'inbox/eileen-2.jpg', 'inbox/eileen-3.jpg']) {
      const response = await fetch(`${receiver}/image/post`, {
        method: 'POST',
        headers: { ...bearer(), 'content-type': 'application/json' },
        body: JSON.stringify({ path }),
      });
      ids.push(((await response.json()) as { id: number }).id);
    }
  }, 300_000);

  afterAll(() => stack?.close());

  it("an unknown person's three photos form one group; naming it names all three images, without resubmission", async () => {
    for (const id of ids)
      await until(async () => ((await image(id)).status === 'unrecognized' ? true : undefined), `image ${id} to be unrecognized`, 90_000);
    const group = await until(
      async () => {
        const { items } = (await (await fetch(`${receiver}/clusters`, { headers: bearer() })).json()) as {
          items: Array<{ id: number; size: number; imageCount: number }>;
        };
        return items.length === 1 && items[0].size === 3 ? items[0] : undefined;
      },
      'the three faces to form one group',
      90_000,
    );
    expect(group.imageCount).toBe(3);

    const page = await context.newPage();
    await page.goto(`${dashboard}/unknown`);
    const card = page.locator(`[data-group="${group.id}"]`);
    await expect(card.locator('h2').textContent()).resolves.toContain('3 faces in 3 images');
    await expect(card.locator('img').count()).resolves.toBe(3);
    // Each "Not the same person" button stays in its face's column: no overlap, nothing out of the card.
    const cardBox = (await card.boundingBox())!;
    const buttons = await Promise.all((await card.locator('.thumbs__item button').all()).map(async (button) => (await button.boundingBox())!));
    expect(buttons).toHaveLength(3);
    for (const [index, box] of buttons.entries()) {
      expect(box.x + box.width, `button ${index} inside the card`).toBeLessThanOrEqual(cardBox.x + cardBox.width);
      if (index > 0) expect(box.x, `button ${index} clear of the one before`).toBeGreaterThanOrEqual(buttons[index - 1].x + buttons[index - 1].width);
    }
    // The crops are real pictures (the browser decoded them).
    await expect(
      card
        .locator('img')
        .first()
        .evaluate((element) => {
          const img = element as unknown as { decode(): Promise<void>; naturalWidth: number };
          return img.decode().then(() => img.naturalWidth);
        }),
    ).resolves.toBe(160);
    await page.waitForLoadState('networkidle');
    expect(await seriousViolations(page), 'unknown people page').toEqual([]);
    await card.locator('input[name="name"]').fill('Eileen Collins');
    await card.locator('button', { hasText: /^Name$/ }).click();
    await page.waitForURL(`${dashboard}/unknown`);
    await expect(page.locator('.flash').textContent()).resolves.toContain('Named “Eileen Collins”');
    await page.close();

    for (const id of ids) {
      const named = await until(
        async () => {
          const row = await image(id);
          return row.status === 'processed' ? row : undefined;
        },
        `image ${id} to be named`,
        90_000,
      );
      expect(named.faces.map((face) => face.person?.name)).toEqual(['Eileen Collins']);
    }
  });

  it('"Not <name>" on the image page unnames the face, and a later re-match does not give it back', async () => {
    const page = await context.newPage();
    await page.goto(`${dashboard}/images/${ids[1]}`);
    await page.locator('button', { hasText: 'Not Eileen Collins' }).click();
    await page.waitForURL(`${dashboard}/images/${ids[1]}`);
    await page.close();
    const rejected = await until(
      async () => {
        const row = await image(ids[1]);
        return row.status === 'unrecognized' && row.faces[0].person === null ? row : undefined;
      },
      'the face to be unnamed',
      90_000,
    );

    // Another change to the gallery: every face is matched again, the rejected one without Eileen Collins.
    const persons = (await (await fetch(`${receiver}/persons`, { headers: bearer() })).json()) as { items: Array<{ id: number; name: string }> };
    const cameraman = persons.items.find((person) => person.name === 'cameraman');
    const enrolled = await fetch(`${receiver}/persons/${cameraman?.id}/faces`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'more/cameraman-2.jpg' }),
    });
    expect(enrolled.status).toBe(201);
    const after = await until(
      async () => {
        const row = await image(ids[1]);
        return (row.faces[0].galleryVersion ?? 0) > (rejected.faces[0].galleryVersion ?? 0) ? row : undefined;
      },
      'the face to be re-matched against the newer gallery',
      90_000,
    );
    expect(after).toMatchObject({ status: 'unrecognized', faces: [expect.objectContaining({ person: null })] });
    // The other two photos are still hers.
    for (const id of [ids[0], ids[2]]) expect((await image(id)).faces[0].person?.name).toBe('Eileen Collins');
  });

  it('a face that does not fit is shown marked for confirmation; the people page flags the person and merges another into it', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${receiver}${path}`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // The camera man's photo, named after him; "This is Eileen Collins" on it must be confirmed.
    const cameraImage = ((await (await post('/image/post', { path: 'more/cameraman-2.jpg' })).json()) as { id: number }).id;
    const named = await until(
      async () => {
        const row = await image(cameraImage);
        return row.status === 'processed' ? row : undefined;
      },
      'the camera man to be recognised',
      90_000,
    );
    expect(named.faces[0].person?.name).toBe('cameraman');

    const page = await context.newPage();
    await page.goto(`${dashboard}/images/${cameraImage}`);
    await page.locator(`#assign-${named.faces[0].id}`).fill('Eileen Collins');
    await page.locator(`#assign-${named.faces[0].id} ~ button`).click();
    await page.waitForLoadState('networkidle');
    await expect(page.locator('h1').textContent()).resolves.toContain('Check before naming “Eileen Collins”');
    const marked = page.locator(`[data-misfit="${named.faces[0].id}"]`);
    await expect(marked.locator('img.thumb--misfit').count()).resolves.toBe(1);
    await expect(marked.locator('.misfit__reasons').textContent()).resolves.toMatch(
      /Unlike the enrolled faces of Eileen Collins[^]*Looks like cameraman/,
    );
    expect(await seriousViolations(page), 'confirmation page').toEqual([]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'review-confirm.png'), fullPage: true });
    // Nothing changed yet.
    expect((await image(cameraImage)).faces[0].person?.name).toBe('cameraman');
    await page.locator('button', { hasText: 'Yes, this is Eileen Collins' }).click();
    await page.waitForURL(`${dashboard}/images/${cameraImage}`);
    await expect(page.locator('.flash').textContent()).resolves.toContain('This is Eileen Collins');
    expect((await image(cameraImage)).faces[0].person?.name).toBe('Eileen Collins');

    // Her enrolled faces now disagree: flagged, the camera man's face marked.
    const persons = async () =>
      ((await (await fetch(`${receiver}/persons`, { headers: bearer() })).json()) as { items: Array<{ id: number; name: string }> }).items;
    const eileen = (await persons()).find((person) => person.name === 'Eileen Collins');
    await page.goto(`${dashboard}/persons`);
    const card = page.locator(`#person-${eileen?.id}`);
    await expect(card.locator('[data-flag="enrolments-disagree"]').count()).resolves.toBe(1);
    await expect(card.locator('img.thumb--misfit').getAttribute('src')).resolves.toBe(`/faces/${named.faces[0].id}/crop`);
    await card.screenshot({ path: join(SCREENSHOTS, 'person-flagged.png') });

    // Another person with one of her photos, merged into her from the people page.
    const other = ((await (await post('/persons', { name: 'E. Collins' })).json()) as { id: number }).id;
    expect((await post(`/persons/${other}/faces`, { path: 'inbox/eileen-3.jpg' })).status).toBe(201);
    await page.goto(`${dashboard}/persons`);
    await page.locator(`#merge-into-${other}`).fill('Eileen Collins');
    await page.locator(`#person-${other} button`, { hasText: 'Merge' }).click();
    await page.waitForURL(`${dashboard}/persons#person-${eileen?.id}`);
    await expect(page.locator('.flash').textContent()).resolves.toContain('Merged into “Eileen Collins”');
    await expect(page.locator(`#person-${other}`).count()).resolves.toBe(0);
    expect(await seriousViolations(page), 'people page').toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'persons-flagged.png'), fullPage: true });
    await page.close();
    expect((await persons()).map((person) => person.name).sort()).toEqual(['Eileen Collins', 'cameraman']);
    const audit = (await (await fetch(`${receiver}/audit`, { headers: bearer() })).json()) as { items: Array<{ action: string; target: string }> };
    expect(audit.items.map((item) => `${item.action} ${item.target}`)).toEqual(
      expect.arrayContaining([`person.merged person:${other}`, `face.moved face:${named.faces[0].id}`]),
    );
  });
});

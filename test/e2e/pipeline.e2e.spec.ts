/**
 * The whole pipeline with the REAL recognizer (face-api on WASM), started by the embedded launcher, on two
 * stacks: (a) the defaults, SQLite + the in-process queue; (b) a MariaDB scratch database + the NSQ test
 * server (nsqd discovered through nsqlookupd). Only HTTP goes in: POST to the receiver, GET from the receiver
 * and the dashboard.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VisageConfig } from '@visage/config';
import { GalleryService } from '@visage/matcher';
import { startEmbedded, EmbeddedVisage } from '../../apps/embedded/src/embedded';
import { RetryJob } from '../../apps/image-processor/src/retry/retry.job';
import { fixtureBytes } from '../support/fixtures';
import { createImagesRoot, dashboardSession, e2eStacks, E2eStack, embeddedStackConfig, http, ImagesRoot, ReceiverClient } from './harness';
import { until } from '../support/until';

const GALLERY_REFRESH_MS = 300;

describe.each(e2eStacks('visage_e2e_pipeline'))('pipeline end to end — $name', ({ start }) => {
  let stack: E2eStack;
  let images: ImagesRoot;
  let config: VisageConfig;
  let visage: EmbeddedVisage;
  let receiver: ReceiverClient;
  let frontendUrl: string;
  let gallery: GalleryService;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    stack = await start();
    images = createImagesRoot();
    // One known person from two files (a flat file and a per-person folder); camera.png's man is a stranger until
    // the API enrols him.
    images.copy('astronaut.png', 'known/eileen_collins_1.png');
    await images.add('large.jpg', 'known/eileen_collins/large.jpg');
    await images.add('astronaut_flipped.jpg', 'in/astronaut_flipped.jpg');
    images.copy('camera.png', 'in/strangers/camera.png');
    await images.add('truncated_header.jpg', 'in/bad/truncated_header.jpg');
    images.copy('camera.png', 'enrol/camera.png');
    await images.add('camera_rescaled.jpg', 'in/camera_rescaled.jpg');
    await images.add('camera_rescaled.jpg', 'in/camera_rescaled_again.jpg');
    images.copy('coffee.png', 'enrol/coffee.png');
    await images.add('two_people.jpg', 'enrol/two_people.jpg');
    config = embeddedStackConfig(stack, images, { GALLERY_REFRESH_MS: String(GALLERY_REFRESH_MS), KNOWN_FACES_RESCAN_MS: '300' });
    visage = await startEmbedded(config, { host: '127.0.0.1' });
    receiver = new ReceiverClient(`http://127.0.0.1:${visage.ports.receiver}`);
    frontendUrl = `http://127.0.0.1:${visage.ports.frontend}`;
    gallery = visage.processor.get(GalleryService, { strict: false });
  }, 180_000);

  afterAll(async () => {
    await visage?.close();
    await stack?.close();
    images?.remove();
  });

  it('enrols KNOWN_FACES_DIR (a flat file and a per-person folder) at start-up; the processor gallery holds both faces', async () => {
    const persons = await until(
      async () => {
        const reply = await http<{ items: Array<{ name: string; knownFaceCount: number }> }>('GET', `${receiver.url}/persons`);
        return reply.body.items.some((person) => person.knownFaceCount === 2) ? reply.body.items : undefined;
      },
      'both known faces enrolled',
      120_000,
    );
    expect(persons.map((person) => [person.name, person.knownFaceCount])).toEqual([['eileen collins', 2]]);
    await until(() => gallery.size === 2, 'the processor gallery to load both descriptors', 30_000);
  });

  it('a known person is processed and named, within MATCH_THRESHOLD', async () => {
    const id = await receiver.post('in/astronaut_flipped.jpg');
    const image = await receiver.settled(id);
    expect(image.status).toBe('processed');
    const named = image.faces.filter((face) => face.person !== null);
    expect(named.map((face) => face.person?.name)).toEqual(['eileen collins']);
    expect(named[0].distance).not.toBeNull();
    expect(named[0].distance as number).toBeLessThanOrEqual(config.MATCH_THRESHOLD);
  });

  it('an uploaded picture goes the same way: stored by its hash, processed and named; the same bytes again are that image', async () => {
    const bytes = await fixtureBytes('astronaut_flipped.jpg');
    const [item] = await receiver.upload([{ bytes, name: 'astronaut.jpg' }]);
    expect(item).toMatchObject({
      index: 0,
      status: 'pending',
      duplicate: false,
      path: expect.stringMatching(/^uploads\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.jpg$/),
    });
    const image = await receiver.settled(item.id as number);
    expect(image).toMatchObject({ status: 'processed', path: item.path });
    expect(image.faces.filter((face) => face.person !== null).map((face) => face.person?.name)).toEqual(['eileen collins']);
    const [again] = await receiver.upload([{ bytes, name: 'copy.jpg' }]);
    expect(again).toMatchObject({ id: item.id, status: 'processed', duplicate: true });
  });

  it('a stranger is unrecognized: a face is found and nobody is named', async () => {
    const image = await receiver.settled(await receiver.post('in/strangers/camera.png'));
    expect(image.status).toBe('unrecognized');
    expect(image.faces.length).toBeGreaterThanOrEqual(1);
    expect(image.faces.every((face) => face.person === null)).toBe(true);
  });

  it('a corrupt file fails permanently once, the retry job leaves it alone, a manual retry fails it again', async () => {
    const id = await receiver.post('in/bad/truncated_header.jpg');
    const failed = await receiver.settled(id);
    expect(failed).toMatchObject({ status: 'failed', permanentFailure: true, attempts: 1 });
    expect(failed.lastError).toBeTruthy();

    const report = await visage.processor.get(RetryJob, { strict: false }).runOnce();
    expect(report).toMatchObject({ ran: true });
    const afterJob = await receiver.image(id);
    expect(afterJob).toMatchObject({ status: 'failed', permanentFailure: true, attempts: 1, updatedAt: failed.updatedAt });

    const retry = await http('POST', `${receiver.url}/images/${id}/retry`);
    expect(retry.status).toBe(202);
    // Back to pending with a fresh attempt counter, then failed again by the new attempt.
    const again = await until(
      async () => {
        const image = await receiver.image(id);
        return image.status === 'failed' && image.updatedAt !== failed.updatedAt ? image : undefined;
      },
      'the retried image to fail again',
      60_000,
    );
    expect(again).toMatchObject({ status: 'failed', permanentFailure: true, attempts: 1 });
  });

  it('POST /persons/:id/faces enrols one face: images processed before are re-matched (no resubmission), new ones matched', async () => {
    // The cameraman is not known yet: his picture is processed, a face is found, nobody is named.
    const before = await receiver.settled(await receiver.post('in/camera_rescaled.jpg'));
    expect(before.status).toBe('unrecognized');
    expect(before.faces.length).toBe(1);

    const created = await http<{ id: number }>('POST', `${receiver.url}/persons`, { name: 'cameraman' });
    expect(created.status).toBe(201);
    const cameraman = created.body.id;
    const facesUrl = `${receiver.url}/persons/${cameraman}/faces`;

    const enrolled = await http<{ personId: number; personName: string }>('POST', facesUrl, { path: 'enrol/camera.png' });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body).toMatchObject({ personId: cameraman, personName: 'cameraman', facesInPhoto: 1 });

    // The same face uploaded from the client's machine: enrolled from its stored copy.
    const uploaded = await receiver.postForm(`/persons/${cameraman}/faces`, [{ bytes: await fixtureBytes('camera.png'), name: 'me.png' }]);
    expect(uploaded.status, uploaded.text).toBe(201);
    expect(uploaded.body).toMatchObject({ personId: cameraman, path: expect.stringMatching(/^uploads\/.+\.png$/) });

    const noFace = await http<{ code: string }>('POST', facesUrl, { path: 'enrol/coffee.png' });
    expect([noFace.status, noFace.body.code]).toEqual([422, 'no_face']);
    const several = await http<{ code: string }>('POST', facesUrl, { path: 'enrol/two_people.jpg' });
    expect([several.status, several.body.code]).toEqual([422, 'several_faces']);
    const nobody = await http<{ code: string }>('POST', `${receiver.url}/persons/987654/faces`, { path: 'enrol/camera.png' });
    expect([nobody.status, nobody.body.code]).toEqual([404, 'person_not_found']);
    const outside = await http<{ code: string }>('POST', facesUrl, { path: '../../etc/passwd' });
    expect([outside.status, outside.body.code]).toEqual([422, 'outside_root']);
    expect((await http('POST', `${receiver.url}/persons/abc/faces`, { path: 'enrol/camera.png' })).status).toBe(400);
    expect((await http('POST', facesUrl, {})).status).toBe(400);

    // The earlier image follows the gallery by itself: re-matched from its stored descriptor, no new analysis.
    const after = await receiver.settled(before.id, ['processed'], 30_000);
    expect(after.faces.map((face) => face.person?.name ?? null)).toEqual(['cameraman']);
    expect(after.faces[0].distance as number).toBeLessThanOrEqual(config.MATCH_THRESHOLD);
    expect(after.galleryVersion).toBeGreaterThan(before.galleryVersion as number);
    expect(Date.parse(after.matchedAt as string)).toBeGreaterThan(Date.parse(before.matchedAt as string));
    expect(gallery.version).toBeGreaterThanOrEqual(after.galleryVersion as number);

    // A new image is matched against the new gallery at once.
    const fresh = await receiver.settled(await receiver.post('in/camera_rescaled_again.jpg'));
    expect(fresh.status).toBe('processed');
    expect(fresh.faces.filter((face) => face.person).map((face) => face.person?.name)).toEqual(['cameraman']);

    // Where he appears: both, and the picture first processed as a stranger's (re-matched too).
    const strangerImage = await until(
      async () => {
        const reply = await http<{ items: Array<{ id: number; path: string }> }>('GET', `${receiver.url}/persons/${cameraman}/images`);
        return reply.body.items.length === 3 ? reply.body.items : undefined;
      },
      'the three images of the cameraman',
      30_000,
    );
    expect(strangerImage.map((item) => item.path)).toEqual(['in/camera_rescaled_again.jpg', 'in/camera_rescaled.jpg', 'in/strangers/camera.png']);
  });

  it('DELETE /persons/:id: their images are recomputed, no processed image is left without a named face', async () => {
    const persons = await http<{ items: Array<{ id: number; name: string }> }>('GET', `${receiver.url}/persons`);
    const cameraman = persons.body.items.find((person) => person.name === 'cameraman');
    expect(cameraman).toBeDefined();
    const named = await http<{ items: Array<{ id: number }> }>('GET', `${receiver.url}/images?person=${cameraman?.id}`);
    expect(named.body.items.length).toBe(3);

    expect((await http('DELETE', `${receiver.url}/persons/${cameraman?.id}`)).status).toBe(204);
    for (const { id } of named.body.items) {
      const image = await receiver.image(id);
      // Recomputed in the deletion's transaction.
      expect(image.status).toBe('unrecognized');
      expect(image.faces.every((face) => face.person === null)).toBe(true);
    }
    const processed = await http<{ items: Array<{ id: number }> }>('GET', `${receiver.url}/images?status=processed&limit=200`);
    expect(processed.body.items.length).toBeGreaterThanOrEqual(1); // the astronaut keeps her name
    for (const { id } of processed.body.items) {
      expect(
        (await receiver.image(id)).faces.some((face) => face.person !== null),
        `processed image ${id} names someone`,
      ).toBe(true);
    }
    // Then re-matched against the gallery without him: nobody else is near, they stay unrecognized.
    await until(
      async () => (await receiver.image(named.body.items[0].id)).galleryVersion === gallery.version,
      're-match without the cameraman',
      30_000,
    );
    expect((await receiver.image(named.body.items[0].id)).status).toBe('unrecognized');
  });

  it('the dashboard lists the images and shows the person on the image page', async () => {
    const session = await dashboardSession(frontendUrl);
    const list = await http('GET', `${frontendUrl}/`, undefined, session);
    expect(list.status).toBe(200);
    for (const path of ['in/astronaut_flipped.jpg', 'in/strangers/camera.png', 'in/bad/truncated_header.jpg', 'in/camera_rescaled.jpg']) {
      expect(list.text.replaceAll('<wbr>', '')).toContain(path); // the page may wrap a path after / _ - .
    }
    const page = await http<unknown>('GET', `${receiver.url}/images?status=processed&limit=50`);
    const items = (page.body as { items: Array<{ id: number; path: string }> }).items;
    const astronaut = items.find((item) => item.path === 'in/astronaut_flipped.jpg');
    expect(astronaut).toBeDefined();
    const detail = await http('GET', `${frontendUrl}/images/${astronaut?.id}`, undefined, session);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('eileen collins');
  });

  it('known faces added while running are enrolled without a restart (rescan timer); POST /known-faces/rescan drops removed ones at once', async () => {
    const knownFaceCount = async () => {
      const reply = await http<{ items: Array<{ name: string; knownFaceCount: number }> }>('GET', `${receiver.url}/persons`);
      return reply.body.items.find((person) => person.name === 'eileen collins')?.knownFaceCount;
    };
    await images.add('astronaut_flipped.jpg', 'known/eileen_collins_3.jpg');
    await until(async () => (await knownFaceCount()) === 3, 'the added known face enrolled by the rescan', 60_000);

    rmSync(join(images.root, 'known/eileen_collins_3.jpg'));
    const rescan = await http<{ removed: string[]; unchanged: string[] }>('POST', `${receiver.url}/known-faces/rescan`);
    expect(rescan.status).toBe(200);
    expect(rescan.body.removed).toEqual(['eileen_collins_3.jpg']);
    expect(rescan.body.unchanged.sort()).toEqual(['eileen_collins/large.jpg', 'eileen_collins_1.png']);
    expect(await knownFaceCount()).toBe(2);
  });
});

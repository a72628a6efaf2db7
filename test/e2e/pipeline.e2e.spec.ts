/**
 * The whole pipeline with the REAL recognizer (face-api on WASM), started by the embedded launcher, on two
 * stacks: (a) the defaults, SQLite + the in-process queue; (b) a MariaDB scratch database + the NSQ test
 * server (nsqd discovered through nsqlookupd). Only HTTP goes in: POST to the receiver, GET from the receiver
 * and the dashboard.
 */
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VisageConfig } from '@visage/config';
import { GalleryService } from '@visage/matcher';
import { startEmbedded, EmbeddedVisage } from '../../apps/embedded/src/embedded';
import { RetryJob } from '../../apps/image-processor/src/retry/retry.job';
import { createImagesRoot, e2eStacks, E2eStack, embeddedStackConfig, http, ImagesRoot, ReceiverClient, until } from './harness';

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
    images.copy('known/barack-obama_1.jpg', 'known/barack-obama_1.jpg');
    images.copy('known/joe-biden_1.jpg', 'known/joe-biden_1.jpg');
    images.copy('unknown/barack-obama_press-room.jpg', 'in/barack-obama_press-room.jpg');
    images.copy('strangers/fearful.jpg', 'in/strangers/fearful.jpg');
    images.copy('bad/truncated_header.jpg', 'in/bad/truncated_header.jpg');
    images.copy('known/amy_1.png', 'enrol/amy_1.png');
    images.copy('unknown/amy_4.png', 'in/amy_4.png');
    images.copy('nonfaces/landscape.jpg', 'enrol/landscape.jpg');
    images.copy('groups/bbt3.jpg', 'enrol/bbt3.jpg');
    config = embeddedStackConfig(stack, images, { GALLERY_REFRESH_MS: String(GALLERY_REFRESH_MS) });
    visage = await startEmbedded(config, '127.0.0.1');
    receiver = new ReceiverClient(`http://127.0.0.1:${visage.ports.receiver}`);
    frontendUrl = `http://127.0.0.1:${visage.ports.frontend}`;
    gallery = visage.processor.get(GalleryService, { strict: false });
  }, 180_000);

  afterAll(async () => {
    await visage?.close();
    await stack?.close();
    images?.remove();
  });

  it('enrols KNOWN_FACES_DIR at start-up and the processor gallery holds both people', async () => {
    const persons = await until(async () => {
      const reply = await http<{ items: Array<{ name: string; knownFaceCount: number }> }>('GET', `${receiver.url}/persons`);
      const enrolled = reply.body.items.filter((person) => person.knownFaceCount === 1).map((person) => person.name);
      return enrolled.length === 2 ? enrolled.sort() : undefined;
    }, 'both known faces enrolled', 120_000);
    expect(persons).toEqual(['barack-obama', 'joe-biden']);
    await until(() => gallery.size === 2, 'the processor gallery to load both descriptors', 30_000);
  });

  it('a known person is processed and named, within MATCH_THRESHOLD', async () => {
    const id = await receiver.post('in/barack-obama_press-room.jpg');
    const image = await receiver.settled(id);
    expect(image.status).toBe('processed');
    const named = image.faces.filter((face) => face.person !== null);
    expect(named.map((face) => face.person?.name)).toEqual(['barack-obama']);
    expect(named[0].distance).not.toBeNull();
    expect(named[0].distance as number).toBeLessThanOrEqual(config.MATCH_THRESHOLD);
  });

  it('a stranger is unrecognized: a face is found and nobody is named', async () => {
    const image = await receiver.settled(await receiver.post('in/strangers/fearful.jpg'));
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
    const again = await until(async () => {
      const image = await receiver.image(id);
      return image.status === 'failed' && image.updatedAt !== failed.updatedAt ? image : undefined;
    }, 'the retried image to fail again', 60_000);
    expect(again).toMatchObject({ status: 'failed', permanentFailure: true, attempts: 1 });
  });

  it('POST /persons/:id/faces enrols one face (matched in a new image without restart) and refuses what it must', async () => {
    const created = await http<{ id: number }>('POST', `${receiver.url}/persons`, { name: 'amy' });
    expect(created.status).toBe(201);
    const amy = created.body.id;
    const facesUrl = `${receiver.url}/persons/${amy}/faces`;

    const enrolled = await http<{ personId: number; personName: string }>('POST', facesUrl, { path: 'enrol/amy_1.png' });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body).toMatchObject({ personId: amy, personName: 'amy' });

    const noFace = await http<{ code: string }>('POST', facesUrl, { path: 'enrol/landscape.jpg' });
    expect([noFace.status, noFace.body.code]).toEqual([422, 'no_face']);
    const several = await http<{ code: string }>('POST', facesUrl, { path: 'enrol/bbt3.jpg' });
    expect([several.status, several.body.code]).toEqual([422, 'several_faces']);
    const nobody = await http<{ code: string }>('POST', `${receiver.url}/persons/987654/faces`, { path: 'enrol/amy_1.png' });
    expect([nobody.status, nobody.body.code]).toEqual([404, 'person_not_found']);
    const outside = await http<{ code: string }>('POST', facesUrl, { path: '../../etc/passwd' });
    expect([outside.status, outside.body.code]).toEqual([422, 'outside_root']);
    expect((await http('POST', `${receiver.url}/persons/abc/faces`, { path: 'enrol/amy_1.png' })).status).toBe(400);
    expect((await http('POST', facesUrl, {})).status).toBe(400);

    // The running processor's gallery picks the enrolment up by itself (no restart, no call from the test).
    await until(() => gallery.size === 3, 'the processor gallery to load the new descriptor', 30_000);
    const image = await receiver.settled(await receiver.post('in/amy_4.png'));
    expect(image.status).toBe('processed');
    expect(image.faces.filter((face) => face.person).map((face) => face.person?.name)).toEqual(['amy']);
  });

  it('the dashboard lists the images and shows the person on the image page', async () => {
    const list = await http('GET', `${frontendUrl}/`);
    expect(list.status).toBe(200);
    for (const path of ['in/barack-obama_press-room.jpg', 'in/strangers/fearful.jpg', 'in/bad/truncated_header.jpg', 'in/amy_4.png']) {
      expect(list.text).toContain(path);
    }
    const page = await http<unknown>('GET', `${receiver.url}/images?status=processed&limit=50`);
    const items = (page.body as { items: Array<{ id: number; path: string }> }).items;
    const obama = items.find((item) => item.path === 'in/barack-obama_press-room.jpg');
    expect(obama).toBeDefined();
    const detail = await http('GET', `${frontendUrl}/images/${obama?.id}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('barack-obama');
  });
});

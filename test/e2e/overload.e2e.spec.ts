/**
 * Overload never fails an image (issue #19, 2): the REAL recognizer with one worker and a work queue of one is
 * flooded with concurrent calls while images are submitted. Its RESOURCE_EXHAUSTED answers (and deadlines passed
 * in its queue) are back-pressure: the processor defers the images with a backoff and spends no attempt, so every
 * image ends processed or unrecognized with `attempts` 0. SQLite + in-process queue: the storage is not under test.
 */
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceAnalysisError } from '@visage/domain';
import { GrpcFaceAnalyzer } from '@visage/recognizer-client';
import { EmbeddedVisage, startEmbedded } from '../../apps/embedded/src/embedded';
import { RecognizerBreaker, RecognizerOverloadedError } from '../../apps/image-processor/src/breaker/recognizer-breaker';
import { TEST_RECOGNIZER_CREDENTIALS, TEST_RECOGNIZER_ENV } from '../../libs/recognizer-client/test/test-token';
import { createImagesRoot, e2eStacks, embeddedStackConfig, ImagesRoot, ReceiverClient } from './harness';
import { sleep, until } from '../support/until';

const FLOOD_CALLS = 120;
const IMAGES = 8;

describe('recognizer overload: flooded while images are submitted (SQLite + in-process queue)', () => {
  let images: ImagesRoot;
  let visage: EmbeddedVisage;
  let flooder: GrpcFaceAnalyzer;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    images = createImagesRoot('visage-e2e-overload-');
    images.copy('astronaut.png', 'flood.png');
    for (let n = 1; n <= IMAGES; n++) images.copy(n % 2 ? 'camera.png' : 'coffee.png', `in/${n}.png`);
    const [sqlite] = e2eStacks('visage_e2e_overload');
    const config = embeddedStackConfig(await sqlite.start(), images, { ...TEST_RECOGNIZER_ENV, RECOGNIZER_QUEUE_SIZE: '1', MAX_ATTEMPTS: '1' });
    visage = await startEmbedded(config, { host: '127.0.0.1' });
    await visage.recognizer.ready();
    flooder = new GrpcFaceAnalyzer({ address: `127.0.0.1:${visage.ports.grpc}`, deadlineMs: 5_000, credentials: TEST_RECOGNIZER_CREDENTIALS });
  }, 180_000);

  afterAll(async () => {
    flooder?.close();
    await visage?.close();
    images?.remove();
  });

  it(`${FLOOD_CALLS} concurrent calls flooding a queue of one: every image ends processed or unrecognized, none failed, no attempt spent`, async () => {
    const breaker = visage.processor.get(RecognizerBreaker, { strict: false });
    let overloadedDeliveries = 0;
    const analyze = breaker.analyze.bind(breaker);
    breaker.analyze = async (path, options) =>
      analyze(path, options).catch((error: unknown) => {
        if (error instanceof RecognizerOverloadedError) overloadedDeliveries += 1;
        throw error;
      });

    let flooding = true;
    let refused = 0;
    const flood = (async () => {
      while (flooding) {
        const answers = await Promise.all(
          Array.from({ length: FLOOD_CALLS }, () =>
            flooder.analyze('flood.png').then(
              () => 'served',
              (error: FaceAnalysisError) => error.code,
            ),
          ),
        );
        refused += answers.filter((code) => code === 'RESOURCE_EXHAUSTED').length;
        await sleep(20);
      }
    })();

    const receiver = new ReceiverClient(`http://127.0.0.1:${visage.ports.receiver}`);
    const ids: number[] = [];
    try {
      for (let n = 1; n <= IMAGES; n++) ids.push(await receiver.post(`in/${n}.png`));
      // 10 s of flood, in which the deliveries meet the overload at least once per image on average: with
      // MAX_ATTEMPTS 1, were overload a failure, each of those would have failed its image for good.
      const floodUntil = Date.now() + 10_000;
      await until(() => overloadedDeliveries >= IMAGES && Date.now() >= floodUntil, 'the processor to meet the overload', 60_000);
    } finally {
      flooding = false;
      await flood;
    }
    expect(refused).toBeGreaterThan(0);
    process.stdout.write(
      `[overload] flood: ${refused} calls refused RESOURCE_EXHAUSTED; ${overloadedDeliveries} image deliveries deferred as overloaded\n`,
    );

    const settled = await Promise.all(ids.map((id) => receiver.settled(id, undefined, 120_000)));
    expect(settled.map((image) => image.status).filter((status) => status !== 'processed' && status !== 'unrecognized')).toEqual([]);
    expect(settled.map((image) => image.attempts)).toEqual(ids.map(() => 0));
    expect(breaker.state).toBe('closed');
  }, 300_000);
});

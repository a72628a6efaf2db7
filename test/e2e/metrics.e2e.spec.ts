/**
 * `/metrics` of the receiver and the processor (SQLite + in-process queue, the recognizer double): three images
 * (one the recognizer calls corrupt) move the image counters, the latency histogram and the outcome labels; a
 * stopped recognizer takes `visage_breaker_state` to 2 and its return brings it back to 0.
 */
import { INestApplication, Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@visage/config';
import { createImageProcessorApp } from '../../apps/image-processor/src/image-processor.app';
import { createReceiverApp } from '../../apps/receiver/src/receiver.app';
import { metricValue as sample } from '../support/prometheus';
import { baseUrl, createImagesRoot, http, ImagesRoot, ReceiverClient, RecognizerDouble, withEphemeralPorts } from './harness';
import { TEST_AUTH_ENV } from '../../libs/auth/test/test-keys';
import { until } from '../support/until';

describe('metrics: receiver + processor, SQLite + in-process queue, recognizer double', () => {
  let images: ImagesRoot;
  let recognizer: RecognizerDouble;
  let receiverApp: INestApplication;
  let processorApp: INestApplication;
  let receiver: ReceiverClient;
  const scrape = async (app: INestApplication) => {
    const reply = await http('GET', `${baseUrl(app)}/metrics`);
    expect(reply.status).toBe(200);
    return reply.text;
  };

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    images = createImagesRoot('visage-metrics-');
    recognizer = await RecognizerDouble.start();
    const config = withEphemeralPorts(
      parseConfig({
        LOG_LEVEL: 'error',
        ...TEST_AUTH_ENV,
        DATABASE_URL: `sqlite:${images.root}/visage.sqlite`,
        IMAGES_ROOT: images.root,
        FACE_RECOGNITION_ADDRESS: recognizer.address,
        QUEUE_MAX_IN_FLIGHT: '1',
        BREAKER_FAILURE_THRESHOLD: '2',
        BREAKER_PROBE_INITIAL_MS: '200',
        BREAKER_PROBE_MAX_MS: '500',
        QUEUE_REQUEUE_BASE_DELAY_MS: '100',
        QUEUE_REQUEUE_MAX_DELAY_MS: '300',
        MAX_ATTEMPTS: '10',
      }),
    );
    receiverApp = await createReceiverApp(config, { logger: ['error'] });
    await receiverApp.listen(0, '127.0.0.1');
    processorApp = await createImageProcessorApp(config, { scheduleRetryJob: false, logger: ['error'] });
    await processorApp.listen(0, '127.0.0.1');
    receiver = new ReceiverClient(baseUrl(receiverApp));
  });

  afterAll(async () => {
    await processorApp?.close();
    await receiverApp?.close();
    recognizer?.stop();
    images?.remove();
  });

  it('three images, one bad: submissions, outcomes by status, attempts and the latency histogram move', async () => {
    const before = await scrape(processorApp);
    const paths = [
      images.copy('astronaut.png', 'in/secret-name-a.png'),
      images.copy('coffee.png', 'in/secret-name-b.png'),
      images.copy('camera.png', 'bad/secret-name-c.png'),
    ];
    const ids = [];
    for (const path of paths) ids.push(await receiver.post(path));
    const settled = await Promise.all(ids.map((id) => receiver.settled(id)));
    // No one is enrolled: the double's synthetic faces stay unknown.
    expect(settled.map((image) => image.status)).toEqual(['unrecognized', 'unrecognized', 'failed']);

    const after = await scrape(processorApp);
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    // One process, one registry (as in embedded mode): the receiver's counter shows on the processor's port too.
    expect(delta('visage_images_submitted_total')).toBe(3);
    expect(delta('visage_image_outcomes_total', { status: 'failed' })).toBe(1);
    expect(delta('visage_image_outcomes_total', { status: 'unrecognized' })).toBe(2);
    expect(delta('visage_image_outcomes_total', { status: 'processed' })).toBe(0);
    expect(delta('visage_image_attempts_total', { result: 'failed_permanent' })).toBe(1);
    expect(delta('visage_image_latency_seconds_count')).toBe(3);
    expect(delta('visage_image_latency_seconds_sum')).toBeGreaterThan(0);

    const receiverText = await scrape(receiverApp);
    expect(
      sample(receiverText, 'visage_http_requests_total', { app: 'receiver', route: '/image/post', method: 'POST', status: '202' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sample(receiverText, 'visage_http_requests_total', { app: 'receiver', route: '/images/:id', method: 'GET', status: '200' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sample(receiverText, 'visage_http_request_duration_seconds_count', { app: 'receiver', route: '/image/post', method: 'POST' }),
    ).toBeGreaterThanOrEqual(3);
    // Default process metrics are on; no image path or name leaks into any label.
    expect(receiverText).toContain('process_cpu_user_seconds_total');
    expect(receiverText).not.toMatch(/secret-name|\/in\/|bad\//);
  });

  it('/metrics answers without credentials in the Prometheus text format', async () => {
    const response = await fetch(`${baseUrl(receiverApp)}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
  });

  it('recognizer stopped: visage_breaker_state goes to 2 (open), and back to 0 once it serves again', async () => {
    const transitionsBefore = sample(await scrape(processorApp), 'visage_breaker_transitions_total', { to: 'open' });
    recognizer.stop();
    await receiver.post(images.copy('astronaut.png', 'down/one.png'));
    await receiver.post(images.copy('coffee.png', 'down/two.png'));
    await until(async () => sample(await scrape(processorApp), 'visage_breaker_state') === 2, 'visage_breaker_state 2', 30_000);
    expect(sample(await scrape(processorApp), 'visage_breaker_transitions_total', { to: 'open' })).toBe(transitionsBefore + 1);
    await recognizer.start();
    await until(async () => sample(await scrape(processorApp), 'visage_breaker_state') === 0, 'visage_breaker_state 0', 30_000);
    expect(sample(await scrape(processorApp), 'visage_breaker_transitions_total', { to: 'closed' })).toBeGreaterThanOrEqual(1);
  });
});

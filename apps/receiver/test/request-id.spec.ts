import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { ReceiverHarness, startReceiver } from './receiver-harness';

describe.each(TEST_DRIVERS)('X-Request-Id on $name', (driver) => {
  let harness: ReceiverHarness;

  beforeAll(async () => {
    harness = await startReceiver(driver);
  });
  afterAll(() => harness?.close());

  it("keeps the client's id: returned, stored with the image, published in the envelope, shown by GET /images/:id", async () => {
    const posted = await harness.http.post('/image/post').set('X-Request-Id', 'client-id 42/abc').send({ path: 'photos/a.jpg' }).expect(202);
    expect(posted.headers['x-request-id']).toBe('client-id 42/abc');
    const id = posted.body.id as number;
    expect(harness.queue.events.at(-1)?.data).toEqual({ imageId: id, requestId: 'client-id 42/abc' });
    const image = await harness.http.get(`/images/${id}`).expect(200);
    expect(image.body.requestId).toBe('client-id 42/abc');
  });

  it('makes one when the client sends none, and stores that one', async () => {
    const posted = await harness.http.post('/image/post').send({ path: 'photos/b.jpg' }).expect(202);
    const generated = posted.headers['x-request-id'] as string;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const image = await harness.http.get(`/images/${posted.body.id}`).expect(200);
    expect(image.body.requestId).toBe(generated);
    // Every response carries one, a different one per request.
    const other = await harness.http.get(`/images/${posted.body.id}`);
    expect(other.headers['x-request-id']).not.toBe(generated);
  });

  it.each([
    { name: 'longer than 128 characters', value: 'x'.repeat(129) },
    { name: 'a tab (not printable)', value: 'abc\tdef' },
    { name: 'non-ASCII', value: 'café' },
    { name: 'only spaces', value: '   ' },
  ])('refuses an id with $name: 400 invalid_request_id, nothing stored', async ({ value }) => {
    const before = harness.queue.events.length;
    const response = await harness.http.post('/image/post').set('X-Request-Id', value).send({ path: 'photos/c.jpg' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, code: 'invalid_request_id' });
    expect(harness.queue.events.length).toBe(before);
  });

  it('accepts exactly 128 printable characters', async () => {
    const value = `${'a'.repeat(127)}~`;
    const posted = await harness.http.post('/image/post').set('X-Request-Id', value).send({ path: 'photos/d.jpg' }).expect(202);
    expect(posted.headers['x-request-id']).toBe(value);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigService, parseConfig } from '@visage/config';
import { FakeReceiver } from '../../test/harness';
import { misfitsOf, ReceiverApiClient } from './receiver-api.client';

/** The signed-in session's key, forwarded to the receiver. */
const CALLER = { apiKey: 'vsk_session-key' };

function clientFor(url: string): ReceiverApiClient {
  return new ReceiverApiClient(new ConfigService(parseConfig({ RECEIVER_URL: url })));
}

describe('ReceiverApiClient', () => {
  const receiver = new FakeReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('posts JSON and returns the body of a 2xx answer', async () => {
    receiver.reply('POST', '/persons', 201, { id: 3, name: 'Dana' });
    expect(await clientFor(`${receiver.url}/`).createPerson(CALLER, 'Dana')).toEqual({ ok: true, status: 201, body: { id: 3, name: 'Dana' } });
    expect(receiver.requests.at(-1)).toEqual({ method: 'POST', url: '/persons', body: { name: 'Dana' }, authorization: 'Bearer vsk_session-key' });
  });

  it('passes on the receiver’s message, joining a list of validation messages', async () => {
    receiver.reply('POST', '/persons/3/faces', 422, { statusCode: 422, message: ['several faces found (2)', 'pick one'] });
    expect(await clientFor(receiver.url).enrolFace(CALLER, 3, 'group.jpg')).toEqual({
      ok: false,
      status: 422,
      message: 'several faces found (2); pick one',
    });
    const coded = { statusCode: 409, error: 'Conflict', message: 'check them', code: 'faces_need_confirmation', faces: [{ faceId: 4, reasons: [] }] };
    receiver.reply('POST', '/faces/4/assign', 409, coded);
    const refused = await clientFor(receiver.url).assignFace(CALLER, 4, 'Ada', { confirm: [5] });
    expect(refused).toEqual({ ok: false, status: 409, message: 'check them', code: 'faces_need_confirmation', body: coded });
    expect(receiver.requests.at(-1)?.body).toEqual({ name: 'Ada', confirm: [5] });
    expect(misfitsOf(refused)).toEqual([{ faceId: 4, reasons: [] }]);
    receiver.reply('POST', '/images/9/retry', 500, 'not json');
    const result = await clientFor(receiver.url).retryImage(CALLER, 9);
    expect(result).toEqual({ ok: false, status: 500, message: 'The receiver refused the request (500 Internal Server Error).' });
  });

  it('sends no Authorization without a key (AUTH=off)', async () => {
    receiver.reply('POST', '/persons', 201, { id: 4, name: 'Eve' });
    await clientFor(receiver.url).createPerson({ apiKey: '' }, 'Eve');
    expect(receiver.requests.at(-1)?.authorization).toBeUndefined();
  });

  it('reports an unreachable receiver as a result, not an exception', async () => {
    const result = await clientFor('http://127.0.0.1:9').retryImage(CALLER, 1);
    expect(result).toMatchObject({ ok: false, status: 502 });
    expect(!result.ok && result.message).toBe('The receiver at http://127.0.0.1:9 is not reachable. Try again later.');
  });
});

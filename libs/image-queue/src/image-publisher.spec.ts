import { Logger } from '@nestjs/common';
import { defer, Observable } from 'rxjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigService, parseConfig } from '@visage/config';
import { ImagePublisher } from './image-publisher';
import { sleep, until } from '../../../test/support/until';

/** A queue client whose broker can be taken away and brought back. */
class SwitchableQueue {
  up = true;
  readonly received: number[] = [];
  attempts = 0;

  emit<T>(_topic: unknown, data: unknown): Observable<T> {
    return defer(async () => {
      this.attempts += 1;
      if (!this.up) throw new Error('connect ECONNREFUSED 127.0.0.1:4150');
      this.received.push((data as { imageId: number }).imageId);
      return undefined as T;
    });
  }
}

describe('ImagePublisher (outbox while the queue does not answer)', () => {
  const publishers: ImagePublisher[] = [];
  const create = (queue: SwitchableQueue) => {
    const publisher = new ImagePublisher(queue, new ConfigService(parseConfig({})));
    publishers.push(publisher);
    return publisher;
  };

  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => publishers.splice(0).forEach((publisher) => publisher.onApplicationShutdown()));

  it('publishes at once while the queue answers', async () => {
    const queue = new SwitchableQueue();
    const publisher = create(queue);
    expect(await publisher.publish(1)).toBe(true);
    expect(queue.received).toEqual([1]);
    expect(publisher.unpublishedCount).toBe(0);
  });

  it('keeps the ids it could not publish and publishes them, in order, once the queue is back, with no new call', async () => {
    const queue = new SwitchableQueue();
    const publisher = create(queue);
    queue.up = false;
    expect(await publisher.publish(1)).toBe(false);
    expect(await publisher.publish(2)).toBe(false);
    expect(await publisher.publish(3)).toBe(false);
    expect(publisher.unpublishedCount).toBe(3);
    await until(() => queue.attempts >= 2, 'a second attempt on its own'); // it keeps trying on its own
    expect(queue.received).toEqual([]);

    queue.up = true;
    await until(() => publisher.unpublishedCount === 0, 'the backlog to be published', 10_000);
    expect(queue.received).toEqual([1, 2, 3]);
    expect(await publisher.publish(4)).toBe(true); // back to direct publishing
    expect(queue.received).toEqual([1, 2, 3, 4]);
  });

  it('a publish that succeeds while ids wait sends them at once, not at the next retry', async () => {
    const queue = new SwitchableQueue();
    const publisher = create(queue);
    queue.up = false;
    await publisher.publish(1);
    queue.up = true;
    expect(await publisher.publish(2)).toBe(true);
    await until(() => publisher.unpublishedCount === 0, 'the backlog to be published');
    expect(queue.received).toEqual([2, 1]);
  });

  it('stops trying at shutdown (the rows stay pending for the retry job)', async () => {
    const queue = new SwitchableQueue();
    const publisher = create(queue);
    queue.up = false;
    await publisher.publish(9);
    publisher.onApplicationShutdown();
    const attempts = queue.attempts;
    queue.up = true;
    await sleep(600); // longer than the first retry delay
    expect(queue.attempts).toBe(attempts);
    expect(queue.received).toEqual([]);
  });
});

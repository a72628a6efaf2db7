import { describeError, withTimeout } from '@visage/domain';
import { READINESS_TIMEOUT_MS, readinessCheck } from '@visage/health';
import type { QueueClient } from './queue.factory';
import { QueueServer } from './queue-server';
import { QUEUE_CLIENT, QUEUE_CONSUMER } from './queue.types';

/** Inside the check's own bound (READINESS_TIMEOUT_MS + 500), so a slow nsqd is reported with its role. */
const CONNECT_TIMEOUT_MS = READINESS_TIMEOUT_MS;

/**
 * `/health/ready` check "queue", for any app that imports `QueueModule`: a process that consumes (its strategy
 * is listening) is ready while connected to at least one nsqd; a publisher is ready when it can reach its
 * local nsqd.
 */
export const queueReadiness = readinessCheck(
  'queue',
  [QUEUE_CLIENT, QUEUE_CONSUMER],
  async (client: QueueClient, consumer: QueueServer) => {
    if (consumer.isListening()) {
      const details = { role: 'consumer', paused: consumer.isPaused(), inFlight: consumer.inFlightCount };
      return consumer.isConnected() ? { up: true, details } : { up: false, details: { ...details, reason: 'not connected to any nsqd' } };
    }
    try {
      await withTimeout(client.connect(), CONNECT_TIMEOUT_MS);
      return { up: true, details: { role: 'publisher' } };
    } catch (error) {
      return { up: false, details: { role: 'publisher', reason: describeError(error) } };
    }
  },
  READINESS_TIMEOUT_MS + 500,
);

import { readinessCheck } from '@visage/health';
import { PausableConsumer, QUEUE_CONSUMER } from '@visage/queue';

/** `/health/ready` check "queue": the consumer the breaker pauses is connected. */
export const queueConsumerReadiness = readinessCheck('queue', [QUEUE_CONSUMER], (consumer: PausableConsumer) =>
  consumer.isConnected() ? { up: true } : { up: false, details: { message: 'consumer not connected' } },
);

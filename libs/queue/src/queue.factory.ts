import type { VisageConfig } from '@visage/config';
import { InProcessBroker } from './in-process/in-process-broker';
import { InProcessClient } from './in-process/in-process-client';
import { InProcessServer } from './in-process/in-process-server';
import { NsqClient } from './nsq/nsq-client';
import { NsqServer, NsqServerOptions } from './nsq/nsq-server';
import { QueueServer, QueueServerOptions } from './queue-server';

export type QueueClient = NsqClient | InProcessClient;

export interface QueueFactoryOverrides extends Partial<Omit<NsqServerOptions, 'lookupdHttpAddresses' | 'nsqdTcpAddresses'>> {
  /** In-process driver only: the broker to use instead of the process-wide one. */
  broker?: InProcessBroker;
}

/** The consumer options from the environment (QUEUE_*, MAX_ATTEMPTS). */
export function consumerOptionsFromConfig(config: VisageConfig): QueueServerOptions {
  return {
    topic: config.QUEUE_TOPIC,
    channel: config.QUEUE_CHANNEL,
    maxInFlight: config.QUEUE_MAX_IN_FLIGHT,
    maxAttempts: config.MAX_ATTEMPTS,
    messageTimeoutMs: config.QUEUE_MESSAGE_TIMEOUT_MS,
    requeueBaseDelayMs: config.QUEUE_REQUEUE_BASE_DELAY_MS,
    requeueMaxDelayMs: config.QUEUE_REQUEUE_MAX_DELAY_MS,
    closeTimeoutMs: config.QUEUE_CLOSE_TIMEOUT_MS,
  };
}

/**
 * The server strategy for `app.connectMicroservice({ strategy })`, chosen by `config.queue.driver`:
 * NSQ (lookupd discovery and/or direct nsqd, deferrals re-published to the local nsqd) or in-process.
 */
export function createQueueConsumer(config: VisageConfig, overrides: QueueFactoryOverrides = {}): QueueServer {
  const { broker, ...rest } = overrides;
  const options = { ...consumerOptionsFromConfig(config), ...rest };
  const queue = config.queue;
  if (queue.driver === 'in-process') return new InProcessServer({ ...options, broker });
  return new NsqServer({
    ...options,
    lookupdHttpAddresses: queue.lookupdHttpAddresses,
    nsqdTcpAddresses: queue.nsqdTcpAddresses,
    publishAddress: overrides.publishAddress ?? queue.publishAddress,
  });
}

/** The publisher: the local nsqd (NSQD_TCP_ADDRESS) or the in-process broker. */
export function createQueueClient(config: VisageConfig, overrides: Pick<QueueFactoryOverrides, 'broker'> = {}): QueueClient {
  const queue = config.queue;
  if (queue.driver === 'in-process') return new InProcessClient({ broker: overrides.broker });
  if (!queue.publishAddress) throw new RangeError('NSQD_TCP_ADDRESS is required to publish to NSQ');
  return new NsqClient({ address: queue.publishAddress });
}

import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { InProcessBroker } from './in-process/in-process-broker';
import { createQueueClient, createQueueConsumer, QueueClient } from './queue.factory';
import { NsqTopologyBootstrap } from './nsq/nsq-topology';
import { QUEUE_CLIENT, QUEUE_CONSUMER } from './queue.types';

export interface QueueModuleOptions {
  /** In-process driver: a private broker (tests); defaults to the process-wide one. */
  broker?: InProcessBroker;
}

/**
 * Global queue wiring from `ConfigService`: `QUEUE_CLIENT` (ClientProxy to emit events), `QUEUE_CONSUMER` (the
 * server strategy; only a process that passes it to `connectMicroservice` consumes). Its readiness check is
 * `queueReadiness`. With NSQ it creates the topic and channel on the local nsqd at start ({@link NsqTopologyBootstrap}).
 */
@Global()
@Module({})
export class QueueModule implements OnApplicationShutdown {
  constructor(@Inject(QUEUE_CLIENT) private readonly client: QueueClient) {}

  static forRoot(options: QueueModuleOptions = {}): DynamicModule {
    return {
      module: QueueModule,
      providers: [
        {
          provide: QUEUE_CLIENT,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => createQueueClient(config.values, { broker: options.broker }),
        },
        {
          provide: QUEUE_CONSUMER,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => createQueueConsumer(config.values, { broker: options.broker }),
        },
        NsqTopologyBootstrap,
      ],
      exports: [QUEUE_CLIENT, QUEUE_CONSUMER],
    };
  }

  onApplicationShutdown(): void {
    this.client.close();
  }
}

/**
 * ===================================================================================================
 *  MERGE POINT — the ONLY place where the image processor touches parts that are not on this branch.
 * ===================================================================================================
 *
 * Everything else in apps/image-processor depends on the injection tokens in `image-processor.tokens.ts`
 * (FACE_ANALYZER, FACE_MATCHER, QUEUE_CONSUMER) and on QUEUE_CLIENT from the queue contracts. At merge:
 *
 *  1. contracts below: import from '@visage/queue' and '@visage/persistence' instead of relative paths
 *     (needs `export * from './repositories/image-processing.repository'` and `./data-source-options` in
 *     libs/persistence/src/index.ts, and an index.ts in libs/queue/src);
 *  2. `defaultProcessorWiring` below: replace the three NOT WIRED factories with the real parts:
 *       - QUEUE_CONSUMER: `createQueueConsumer(config)` (the same instance goes to connectMicroservice);
 *       - QUEUE_CLIENT:   `QueueModule.forRoot()` in `imports` (drop the provider here);
 *       - FACE_ANALYZER:  `GrpcFaceAnalyzer` from libs/recognizer-client;
 *       - FACE_MATCHER:   the gallery (`GalleryService`) from libs/matcher;
 *     and replace the TypeOrmModule import with `PersistenceModule.forRoot()`.
 */
import { DynamicModule, Provider } from '@nestjs/common';
import { ClientProxy, CustomTransportStrategy } from '@nestjs/microservices';
import { TypeOrmModule } from '@nestjs/typeorm';
import { VisageConfig } from '@visage/config';
import { FaceAnalyzer, FaceMatcher } from '@visage/domain';
import { buildDataSourceOptions } from '../../../libs/persistence/src/data-source-options';
import type { PausableConsumer } from '../../../libs/queue/src/queue.types';
import { FACE_ANALYZER, FACE_MATCHER, QUEUE_CONSUMER } from './image-processor.tokens';

// ---- 1. contracts from libs that have no index export on this branch yet -------------------------------
export {
  DeferMessageError,
  deadLetterPattern,
  QUEUE_CLIENT,
  QueueContext,
} from '../../../libs/queue/src/queue.types';
export type { DeadLetter, PausableConsumer, QueueMessageInfo } from '../../../libs/queue/src/queue.types';
export {
  ImageProcessingRepository,
  type RetryPolicy,
  type RequeueResult,
} from '../../../libs/persistence/src/repositories/image-processing.repository';
import { QUEUE_CLIENT } from '../../../libs/queue/src/queue.types';

/** What the processor needs from the publishing side of the queue: Nest's ClientProxy.emit. */
export type QueuePublisher = Pick<ClientProxy, 'emit'>;

/** The consumer side: a Nest server strategy that can also pause/resume (RDY 0) and report its connection. */
export type QueueConsumerStrategy = CustomTransportStrategy & PausableConsumer;

export interface ProcessorWiring {
  /** Modules providing DataSource (and, after the merge, QUEUE_CLIENT). */
  imports: DynamicModule[];
  /** Providers for FACE_ANALYZER, FACE_MATCHER, QUEUE_CLIENT, QUEUE_CONSUMER. */
  providers: Provider[];
  /** Connected as the app's microservice and bound to QUEUE_CONSUMER. */
  consumer: QueueConsumerStrategy;
}

/** Replaces any piece of the default wiring (tests bind fakes; the embedded launcher may share instances). */
export interface ProcessorWiringOverrides {
  faceAnalyzer?: FaceAnalyzer;
  faceMatcher?: FaceMatcher;
  queueClient?: QueuePublisher;
  consumer?: QueueConsumerStrategy;
  /** Create the schema from the entities (throw-away test databases only). */
  synchronizeSchema?: boolean;
}

class NotWiredError extends Error {
  constructor(part: string) {
    super(`${part} is not wired on this branch: bind it in apps/image-processor/src/image-processor.providers.ts`);
    this.name = 'NotWiredError';
  }
}

function notWired(part: string): never {
  throw new NotWiredError(part);
}

export function defaultProcessorWiring(config: VisageConfig, overrides: ProcessorWiringOverrides = {}): ProcessorWiring {
  // MERGE: `overrides.consumer ?? createQueueConsumer(config)`
  const consumer = overrides.consumer ?? notWired('the queue consumer (createQueueConsumer from libs/queue)');
  return {
    imports: [
      // MERGE: PersistenceModule.forRoot() (migrations); QueueModule.forRoot() (QUEUE_CLIENT).
      TypeOrmModule.forRoot(buildDataSourceOptions(config.database, { synchronize: overrides.synchronizeSchema })),
    ],
    providers: [
      { provide: QUEUE_CONSUMER, useValue: consumer },
      {
        provide: QUEUE_CLIENT,
        useFactory: () => overrides.queueClient ?? notWired('the queue client (QueueModule.forRoot from libs/queue)'),
      },
      {
        provide: FACE_ANALYZER,
        useFactory: () => overrides.faceAnalyzer ?? notWired('the face analyzer (GrpcFaceAnalyzer from libs/recognizer-client)'),
      },
      {
        provide: FACE_MATCHER,
        useFactory: () => overrides.faceMatcher ?? notWired('the face matcher (GalleryService from libs/matcher)'),
      },
    ],
    consumer,
  };
}

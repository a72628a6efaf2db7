/**
 * The ONE place where the image processor binds its ports to real parts: the queue (`QueueModule`),
 * the database (`PersistenceModule`), the recognizer's gRPC client and the gallery. Everything else
 * depends on injection tokens (`image-processor.tokens.ts`, `QUEUE_CLIENT`), so tests replace one with
 * `overrideProvider(<token>).useValue(fake)`.
 */
import { DynamicModule } from '@nestjs/common';
import { ClientProxy, CustomTransportStrategy } from '@nestjs/microservices';
import { EnrolmentModule } from '@visage/enrolment';
import { MatcherModule } from '@visage/matcher';
import { PersistenceModule } from '@visage/persistence';
import { PausableConsumer, QueueModule } from '@visage/queue';
import { RecognizerClientModule } from '@visage/recognizer-client';

/** What the processor needs from the publishing side of the queue: Nest's ClientProxy.emit. */
export type QueuePublisher = Pick<ClientProxy, 'emit'>;

/** The consumer side: a Nest server strategy that can also pause/resume (RDY 0) and report its connection. */
export type QueueConsumerStrategy = CustomTransportStrategy & PausableConsumer;

export function processorAdapters(): DynamicModule[] {
  return [
    PersistenceModule.forRoot(),
    QueueModule.forRoot(),
    // The gRPC client, and the enroller of KNOWN_FACES_DIR that the start-up runs through it.
    RecognizerClientModule.forRoot(),
    EnrolmentModule.forRoot(),
    MatcherModule.forRoot(),
  ];
}

/**
 * The ONE place where the image processor binds its ports to real parts: the queue (`QueueModule`),
 * the database (`PersistenceModule`), the recognizer's gRPC client and the gallery. Everything else
 * depends on injection tokens (`image-processor.tokens.ts`, `QUEUE_CLIENT`), so tests bind fakes.
 */
import { DynamicModule, Provider } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { FaceAnalyzer, FaceMatcher } from '@visage/domain';
import { PersistenceModule } from '@visage/persistence';
import { PausableConsumer, QUEUE_CLIENT, QUEUE_CONSUMER, QueueModule } from '@visage/queue';
import { CustomTransportStrategy } from '@nestjs/microservices';
import { EnrolmentModule } from '@visage/enrolment';
import { MatcherModule } from '@visage/matcher';
import { RecognizerClientModule } from '@visage/recognizer-client';
import { FACE_ANALYZER, FACE_MATCHER } from './image-processor.tokens';

/** What the processor needs from the publishing side of the queue: Nest's ClientProxy.emit. */
export type QueuePublisher = Pick<ClientProxy, 'emit'>;

/** The consumer side: a Nest server strategy that can also pause/resume (RDY 0) and report its connection. */
export type QueueConsumerStrategy = CustomTransportStrategy & PausableConsumer;

export interface ProcessorWiring {
  imports: DynamicModule[];
  /** Providers for FACE_ANALYZER, FACE_MATCHER and, when overridden, QUEUE_CLIENT / QUEUE_CONSUMER. */
  providers: Provider[];
  /** Overridden queue tokens, exported so global modules (ImageQueueModule) see the fakes too. */
  exports: symbol[];
}

/** Replaces any piece of the default wiring (tests bind fakes; the embedded launcher may share instances). */
export interface ProcessorWiringOverrides {
  faceAnalyzer?: FaceAnalyzer;
  faceMatcher?: FaceMatcher;
  queueClient?: QueuePublisher;
  consumer?: QueueConsumerStrategy;
}

export function defaultProcessorWiring(overrides: ProcessorWiringOverrides = {}): ProcessorWiring {
  const imports: DynamicModule[] = [PersistenceModule.forRoot()];
  const providers: Provider[] = [];
  const exports: symbol[] = [];

  // Local providers shadow the ones QueueModule exports, so one fake can replace one side of the queue.
  if (!overrides.queueClient || !overrides.consumer) imports.push(QueueModule.forRoot());
  if (overrides.queueClient) {
    providers.push({ provide: QUEUE_CLIENT, useValue: overrides.queueClient });
    exports.push(QUEUE_CLIENT);
  }
  if (overrides.consumer) {
    providers.push({ provide: QUEUE_CONSUMER, useValue: overrides.consumer });
    exports.push(QUEUE_CONSUMER);
  }

  if (overrides.faceAnalyzer) {
    providers.push({ provide: FACE_ANALYZER, useValue: overrides.faceAnalyzer });
  } else {
    // The gRPC client, and the enroller of KNOWN_FACES_DIR that the start-up runs through it.
    imports.push(RecognizerClientModule.forRoot(), EnrolmentModule.forRoot());
  }
  // The gallery is always there: the start-up reloads it and readiness reports it, even when a fake matches.
  imports.push(MatcherModule.forRoot());
  if (overrides.faceMatcher) providers.push({ provide: FACE_MATCHER, useValue: overrides.faceMatcher });
  return { imports, providers, exports };
}

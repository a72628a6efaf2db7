import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@visage/auth';
import { AppModuleOptions, ConfigModule } from '@visage/config';
import { HealthModule } from '@visage/health';
import { MatcherModule } from '@visage/matcher';
import { ObservabilityModule } from '@visage/observability';
import { ImageQueueModule } from '@visage/image-queue';
import { RecognizerClientModule } from '@visage/recognizer-client';
import { databaseReadiness, PersistenceModule } from '@visage/persistence';
import { QueueModule, queueReadiness } from '@visage/queue';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { AuditModule } from './audit/audit.module';
import { ClustersModule } from './clusters/clusters.module';
import { FacesModule } from './faces/faces.module';
import { ImagesModule } from './images/images.module';
import { DescriptorsModule } from './descriptors/descriptors.module';
import { KeysModule } from './keys/keys.module';
import { SessionsModule } from './sessions/sessions.module';
import { PersonsModule } from './persons/persons.module';
import { KnownFacesModule } from './known-faces/known-faces.module';

export type ReceiverModuleOptions = AppModuleOptions;

/**
 * The receiver: ingest API (images), people API (persons), face review (faces, clusters), API keys and the audit
 * log, health; every route behind an API key of its scope, all errors as uniform JSON.
 * Serve it through createReceiverApp, which adds the JSON body parser.
 */
@Module({})
export class ReceiverModule {
  static forRoot(options: ReceiverModuleOptions): DynamicModule {
    return {
      module: ReceiverModule,
      imports: [
        ConfigModule.forRoot(options.config),
        PersistenceModule.forRoot(),
        // The only place the receiver chooses its queue: NSQ or in-process, from the config.
        QueueModule.forRoot(),
        ImageQueueModule,
        RecognizerClientModule.forRoot(),
        // The enrolments as the review checks them (confirmations, flagged persons), read on demand.
        MatcherModule.forReview(),
        HealthModule.forRoot(databaseReadiness, queueReadiness),
        ObservabilityModule.forRoot({ app: 'receiver' }),
        // Every route needs a key of its declared scope (@Scope / @Public); submissions are rate-limited per key.
        AuthModule.forApi(),
        ImagesModule,
        DescriptorsModule,
        PersonsModule,
        KnownFacesModule,
        FacesModule,
        ClustersModule,
        KeysModule,
        SessionsModule,
        AuditModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}

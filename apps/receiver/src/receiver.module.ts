import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, VisageConfig } from '@visage/config';
import { HealthModule, ReadinessCheckProvider } from '@visage/health';
import { ImageQueueModule } from '@visage/image-queue';
import { RecognizerClientModule } from '@visage/recognizer-client';
import { databaseReadiness, PersistenceModule } from '@visage/persistence';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { ClustersModule } from './clusters/clusters.module';
import { FacesModule } from './faces/faces.module';
import { ImagesModule } from './images/images.module';
import { PersonsModule } from './persons/persons.module';

type ModuleImport = NonNullable<ModuleMetadata['imports']>[number];

export interface ReceiverModuleOptions {
  config: VisageConfig;
  /** A global module that provides QUEUE_CLIENT (QueueModule.forRoot() in the apps, a fake in tests). */
  queue: ModuleImport;
  /** Readiness checks besides the database (the queue's). */
  readiness?: ReadinessCheckProvider[];
}

/**
 * The receiver: ingest API (images), people API (persons), face review (faces, clusters), health, all errors as uniform JSON.
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
        options.queue,
        ImageQueueModule,
        RecognizerClientModule.forRoot(),
        HealthModule.forRoot(databaseReadiness, ...(options.readiness ?? [])),
        ImagesModule,
        PersonsModule,
        FacesModule,
        ClustersModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}

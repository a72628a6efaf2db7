import { DynamicModule, MiddlewareConsumer, Module, ModuleMetadata, NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, VisageConfig } from '@visage/config';
import { HealthModule, ReadinessCheckProvider } from '@visage/health';
import { databaseReadiness, PersistenceModule } from '@visage/persistence';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { JsonBodyMiddleware } from './common/json-body.middleware';
import { ImagesController } from './images/images.controller';
import { ImagesModule } from './images/images.module';
import { PersonsController } from './persons/persons.controller';
import { PersonsModule } from './persons/persons.module';

type ModuleImport = NonNullable<ModuleMetadata['imports']>[number];

export interface ReceiverModuleOptions {
  config: VisageConfig;
  /** A global module that provides QUEUE_CLIENT (QueueModule.forRoot() in the apps, a fake in tests). */
  queue: ModuleImport;
  /** Readiness checks besides the database (the queue's). */
  readiness?: ReadinessCheckProvider[];
}

/** The receiver: ingest API (images), people API (persons), health, all errors as uniform JSON. */
@Module({})
export class ReceiverModule implements NestModule {
  static forRoot(options: ReceiverModuleOptions): DynamicModule {
    return {
      module: ReceiverModule,
      imports: [
        ConfigModule.forRoot(options.config),
        PersistenceModule.forRoot(),
        options.queue,
        HealthModule.forRoot(databaseReadiness, ...(options.readiness ?? [])),
        ImagesModule,
        PersonsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes(ImagesController, PersonsController);
  }
}

import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { ConfigModule, ConfigService, VisageConfig } from '@visage/config';
import { HealthModule } from '@visage/health';
import { ImagesApiController } from './images/images-api.controller';
import { ImagesController } from './images/images.controller';
import { ImagesService } from './images/images.service';
import { buildDataSourceOptions, DashboardRepository } from './persistence';
import { PersonsController } from './persons/persons.controller';
import { PersonsService } from './persons/persons.service';
import { ReceiverApiClient } from './receiver/receiver-api.client';
import { ThumbnailsController } from './thumbnails/thumbnails.controller';
import { ThumbnailService } from './thumbnails/thumbnail.service';

export interface FrontendModuleOptions {
  /** Configuration; defaults to the process environment. */
  config?: VisageConfig;
  /** An initialized connection to share (embedded mode); otherwise the module opens and closes its own. */
  dataSource?: DataSource;
}

const OWNS_DATA_SOURCE = Symbol('OWNS_DATA_SOURCE');

/** Closes the connection the module opened itself (never one that was handed in). */
class DataSourceCloser implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(OWNS_DATA_SOURCE) private readonly owned: boolean,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.owned && this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** The read-side database access, global so the health module can check it too. */
@Module({})
class DashboardDataModule {
  static forRoot(dataSource: DataSource | undefined): DynamicModule {
    return {
      module: DashboardDataModule,
      global: true,
      providers: [
        HealthIndicatorService,
        { provide: OWNS_DATA_SOURCE, useValue: dataSource === undefined },
        {
          provide: DataSource,
          inject: [ConfigService],
          useFactory: async (config: ConfigService) => {
            if (dataSource) return dataSource;
            const own = new DataSource(buildDataSourceOptions(config.values.database));
            await own.initialize();
            new Logger('Frontend').log(`database: ${config.values.database.type}`);
            return own;
          },
        },
        {
          provide: DataSourceCloser,
          inject: [DataSource, OWNS_DATA_SOURCE],
          useFactory: (source: DataSource, owned: boolean) => new DataSourceCloser(source, owned),
        },
        { provide: DashboardRepository, inject: [DataSource], useFactory: (source: DataSource) => new DashboardRepository(source) },
      ],
      exports: [DashboardRepository, HealthIndicatorService],
    };
  }
}

@Module({})
export class FrontendModule {
  static forRoot(options: FrontendModuleOptions = {}): DynamicModule {
    return {
      module: FrontendModule,
      imports: [
        ConfigModule.forRoot(options.config),
        DashboardDataModule.forRoot(options.dataSource),
        HealthModule.forRoot({
          inject: [DashboardRepository, HealthIndicatorService],
          useFactory: (repository: DashboardRepository, indicators: HealthIndicatorService) => [
            async () => {
              const indicator = indicators.check('database');
              try {
                await repository.ping();
                return indicator.up();
              } catch (error) {
                return indicator.down({ message: (error as Error).message });
              }
            },
          ],
        }),
      ],
      controllers: [ImagesController, ImagesApiController, PersonsController, ThumbnailsController],
      providers: [ReceiverApiClient, ThumbnailService, ImagesService, PersonsService],
    };
  }
}

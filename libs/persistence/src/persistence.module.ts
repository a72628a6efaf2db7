import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { ConfigService, DatabaseConfig } from '@visage/config';
import { DescriptorRecipe } from '@visage/domain';
import { buildDataSourceOptions, withServerFlavor } from './data-source-options';
import { PERSISTENCE_REPOSITORIES } from './repositories';
import { CONFIGURED_DESCRIPTOR_RECIPE, UNCONFIGURED_DESCRIPTOR_RECIPE } from './shared/descriptor-codec';
import { initializeWithMigrations } from './schema-migrator';

export interface PersistenceModuleOptions {
  /** Database to use instead of `ConfigService.values.database` (tests, tools). */
  database?: DatabaseConfig;
  /** Connection attempts at boot before giving up (Nest's TypeORM retry). Default 10, one per 3 s. */
  retryAttempts?: number;
  /** The descriptor recipe to compare instead of `ConfigService`'s FACE_DESCRIPTOR_RECIPE (tests, tools). */
  descriptorRecipe?: DescriptorRecipe;
}

/**
 * The database of an app: one TypeORM DataSource (MySQL/MariaDB or SQLite from DATABASE_URL), brought up
 * to date with the migrations before anything uses it, and the repositories on top of it. Global, so
 * feature modules inject repositories without importing it. The DataSource itself is not exported: only
 * repositories (and the database readiness check) touch it.
 */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceModuleOptions = {}): DynamicModule {
    const typeOrm = TypeOrmModule.forRootAsync({
      inject: options.database ? [] : [ConfigService],
      useFactory: (config?: ConfigService): TypeOrmModuleOptions => {
        const database = options.database ?? config?.values.database;
        if (!database) throw new Error('PersistenceModule needs ConfigModule.forRoot() or an explicit database');
        return {
          ...buildDataSourceOptions(database),
          // Migrations run in the data source factory below, under a lock, rather than with TypeORM's
          // unlocked `migrationsRun` (see runPendingMigrations).
          migrationsRun: false,
          retryAttempts: options.retryAttempts ?? 10,
          retryDelay: 3000,
        } as TypeOrmModuleOptions;
      },
      dataSourceFactory: async (dataSourceOptions) => {
        if (!dataSourceOptions) throw new Error('no data source options');
        return initializeWithMigrations(new DataSource(await withServerFlavor(dataSourceOptions as DataSourceOptions)));
      },
    });
    const recipe = {
      provide: CONFIGURED_DESCRIPTOR_RECIPE,
      inject: [{ token: ConfigService, optional: true }],
      useFactory: (config?: ConfigService): DescriptorRecipe =>
        options.descriptorRecipe ?? config?.values.FACE_DESCRIPTOR_RECIPE ?? UNCONFIGURED_DESCRIPTOR_RECIPE,
    };
    return {
      module: PersistenceModule,
      global: true,
      imports: [typeOrm],
      providers: [recipe, ...PERSISTENCE_REPOSITORIES],
      exports: [CONFIGURED_DESCRIPTOR_RECIPE, ...PERSISTENCE_REPOSITORIES],
    };
  }
}

import { DynamicModule, InjectionToken } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { ConfigModule, parseConfig } from '@visage/config';
import { TEST_DRIVERS, TestDatabase } from '../test/test-databases';
import { PersistenceModule } from './persistence.module';
import { ImageRepository } from './images/image.repository';
import { PersonRepository } from './people/person.repository';
import { PERSISTENCE_REPOSITORIES } from './repositories';

describe.each(TEST_DRIVERS)('PersistenceModule on $name', (driver) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await driver.create();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it.each([
    { source: 'ConfigService (DATABASE_URL)', explicit: false },
    { source: 'an explicit database', explicit: true },
  ])('migrates at boot and provides the repositories, configured from $source', async ({ explicit }) => {
    const module = await Test.createTestingModule({
      imports: explicit
        ? [PersistenceModule.forRoot({ database: database.config, retryAttempts: 0 })]
        : [ConfigModule.forRoot(parseConfig({ DATABASE_URL: database.url })), PersistenceModule.forRoot({ retryAttempts: 0 })],
    }).compile();
    const app = await module.init();
    try {
      const dataSource = app.get(DataSource);
      expect(await dataSource.showMigrations()).toBe(false);
      const created = await app.get(ImageRepository).create(`module-${explicit}.jpg`);
      expect(created.created).toBe(true);
      expect(await app.get(PersonRepository).list()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('shares every repository with the modules of the app', async () => {
    const consumer = (token: InjectionToken): DynamicModule => ({
      module: class RepositoryConsumer {},
      providers: [{ provide: 'consumer', inject: [token], useFactory: (value: unknown) => value }],
    });
    const shared = await Test.createTestingModule({
      imports: [PersistenceModule.forRoot({ database: database.config, retryAttempts: 0 }), ...PERSISTENCE_REPOSITORIES.map(consumer)],
    }).compile();
    const app = await shared.init();
    try {
      for (const repository of PERSISTENCE_REPOSITORIES) expect(app.get(repository, { strict: false })).toBeInstanceOf(repository);
    } finally {
      await app.close();
    }
  });
});

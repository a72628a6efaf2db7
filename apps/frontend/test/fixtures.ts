import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, DeepPartial } from 'typeorm';
import { DatabaseConfig } from '@visage/config';
import { ImageStatus } from '@visage/domain';
import { FaceEntity, ImageEntity, PersonEntity, PersonImageEntity } from '@visage/persistence';
import { createScratchMysqlDatabase } from '../../../test/support/database';
import { openMigrated } from '../../../libs/persistence/test/test-databases';

/** A throw-away database with its schema, for one test file; `dataSource` is the test's own connection. */
export interface TestDatabase {
  kind: 'sqlite' | 'mysql';
  config: DatabaseConfig;
  dataSource: DataSource;
  close(): Promise<void>;
}

export async function openSqliteTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'visage-frontend-'));
  const config: DatabaseConfig = { type: 'sqlite', file: join(dir, 'visage.sqlite') };
  const dataSource = await openMigrated(config);
  return {
    kind: 'sqlite',
    config,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function openMysqlTestDatabase(): Promise<TestDatabase> {
  const scratch = await createScratchMysqlDatabase('visage_frontend');
  const dataSource = await openMigrated(scratch.config);
  return {
    kind: 'mysql',
    config: scratch.config,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await scratch.drop();
    },
  };
}

export const TEST_DATABASES: Array<[string, () => Promise<TestDatabase>]> = [
  ['sqlite', openSqliteTestDatabase],
  ['mariadb', openMysqlTestDatabase],
];

export class Rows {
  constructor(private readonly dataSource: DataSource) {}

  image(path: string, fields: DeepPartial<ImageEntity> & { status?: ImageStatus } = {}): Promise<ImageEntity> {
    const repository = this.dataSource.getRepository(ImageEntity);
    return repository.save(repository.create({ path, ...fields }));
  }

  person(name: string): Promise<PersonEntity> {
    const repository = this.dataSource.getRepository(PersonEntity);
    return repository.save(repository.create({ name }));
  }

  face(
    imageId: number,
    person: PersonEntity | null,
    box = { x: 10, y: 20, width: 30, height: 40 },
    distance: number | null = person ? 0.42 : null,
  ): Promise<FaceEntity> {
    const repository = this.dataSource.getRepository(FaceEntity);
    return repository.save(
      repository.create({
        imageId,
        personId: person?.id ?? null,
        boxX: box.x,
        boxY: box.y,
        boxWidth: box.width,
        boxHeight: box.height,
        score: 0.98,
        distance,
      }),
    );
  }

  enrolled(personId: number, sourceName: string): Promise<PersonImageEntity> {
    const repository = this.dataSource.getRepository(PersonImageEntity);
    return repository.save(
      repository.create({
        personId,
        sourceName,
        contentHash: sourceName.padEnd(64, '0').slice(0, 64),
        descriptor: Buffer.alloc(512),
      }),
    );
  }

  async setStatus(id: number, status: ImageStatus, fields: DeepPartial<ImageEntity> = {}): Promise<void> {
    await this.dataSource.getRepository(ImageEntity).update({ id }, { status, ...fields });
  }
}

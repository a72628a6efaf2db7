import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { openMigrated, TEST_DRIVERS, TestDatabase } from '../../test/test-databases';
import { ApiKeyRepository, LAST_USED_RESOLUTION_MS } from './api-key.repository';

describe.each(TEST_DRIVERS)('ApiKeyRepository.touch on $name', (driver) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await driver.create();
    dataSource = await openMigrated(database.config);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });
  beforeEach(async () => {
    await dataSource.query('DELETE FROM api_keys');
  });

  async function lastUsed(keys: ApiKeyRepository, id: number): Promise<Date | null> {
    return (await keys.list()).find((key) => key.id === id)!.lastUsedAt;
  }

  it('writes last_used_at at most once per resolution, and within it costs no statement in the process that wrote it', async () => {
    const keys = new ApiKeyRepository(dataSource);
    const { id } = (await keys.create('touched', 'read', 'a'.repeat(64)))!;
    const start = new Date('2026-11-30T12:00:00.000Z');
    await keys.touch(id, start);
    expect((await lastUsed(keys, id))?.getTime()).toBe(start.getTime());

    // Cleared behind this process's back: a touch within the resolution does not reach the database.
    await dataSource.query('UPDATE api_keys SET last_used_at = NULL');
    await keys.touch(id, new Date(start.getTime() + LAST_USED_RESOLUTION_MS - 1));
    expect(await lastUsed(keys, id)).toBeNull();

    // Another replica (its own repository) still writes it; so does this one once the resolution has passed.
    await new ApiKeyRepository(dataSource).touch(id, new Date(start.getTime() + 1_000));
    expect((await lastUsed(keys, id))?.getTime()).toBe(start.getTime() + 1_000);
    const later = new Date(start.getTime() + 2_000 + LAST_USED_RESOLUTION_MS);
    await keys.touch(id, later);
    expect((await lastUsed(keys, id))?.getTime()).toBe(later.getTime());
  });
});

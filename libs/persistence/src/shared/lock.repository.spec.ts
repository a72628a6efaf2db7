import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigrated, TEST_DRIVERS, TestDatabase } from '../../test/test-databases';
import { DatabaseLock, LockRepository, qualifiedLockName, SQLITE_LEASE_TABLE } from './lock.repository';
import { sleep } from '../../../../test/support/until';

describe('qualifiedLockName', () => {
  it('prefixes the database, and hashes names MySQL would not accept', () => {
    expect(qualifiedLockName('visage', DatabaseLock.ImageRetry)).toBe('visage:image-retry-job');
    const long = qualifiedLockName('d'.repeat(60), DatabaseLock.SchemaMigrations);
    expect(long).toMatch(/^[0-9a-f]{64}$/);
    expect(qualifiedLockName('e'.repeat(60), DatabaseLock.SchemaMigrations)).not.toBe(long);
  });
});

describe.each(TEST_DRIVERS)('LockRepository on $name', (driver) => {
  let database: TestDatabase;
  let first: DataSource;
  let second: DataSource;
  /** Two data sources = two independent connections, like two replicas. */
  let replicaA: LockRepository;
  let replicaB: LockRepository;

  beforeAll(async () => {
    database = await driver.create();
    first = await openMigrated(database.config);
    second = await openMigrated(database.config);
    replicaA = new LockRepository(first);
    replicaB = new LockRepository(second);
  });

  afterAll(async () => {
    await first?.destroy();
    await second?.destroy();
    await database?.drop();
  });

  describe('tryLock', () => {
    it('excludes a second holder, across connections, until released', async () => {
      const held = await replicaA.tryLock(DatabaseLock.ImageRetry);
      expect(held).toBeDefined();
      expect(await replicaB.tryLock(DatabaseLock.ImageRetry)).toBeUndefined();
      expect(await replicaA.tryLock(DatabaseLock.ImageRetry)).toBeUndefined();
      const other = await replicaB.tryLock(DatabaseLock.SchemaMigrations);
      expect(other).toBeDefined();
      await other?.release();

      await held?.release();
      const next = await replicaB.tryLock(DatabaseLock.ImageRetry);
      expect(next).toBeDefined();
      await next?.release();
    });

    it('of two racing job runners exactly one gets the lock', async () => {
      const attempts = await Promise.all([replicaA.tryLock(DatabaseLock.ImageRetry), replicaB.tryLock(DatabaseLock.ImageRetry)]);
      expect(attempts.filter(Boolean)).toHaveLength(1);
      for (const lock of attempts) await lock?.release();
    });
  });

  describe('withLock', () => {
    it('runs one holder at a time and hands the lock on', async () => {
      const order: string[] = [];
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      let started!: () => void;
      const firstStarted = new Promise<void>((resolve) => (started = resolve));
      const firstRun = replicaA.withLock(DatabaseLock.ImageRetry, async () => {
        order.push('first:start');
        started();
        await gate;
        order.push('first:end');
        return 'first';
      });
      await firstStarted;
      const secondRun = replicaB.withLock(DatabaseLock.ImageRetry, async () => {
        order.push('second');
        return 'second';
      });
      // Not a timing assertion: the pause only gives a lock that failed to exclude the chance to show it.
      await sleep(100);
      openGate();
      expect(await Promise.all([firstRun, secondRun])).toEqual(['first', 'second']);
      expect(order).toEqual(['first:start', 'first:end', 'second']);
    });

    it('releases the lock when the work throws', async () => {
      await expect(
        replicaA.withLock(DatabaseLock.ImageRetry, async () => {
          throw new Error('job failed');
        }),
      ).rejects.toThrow('job failed');
      expect(await replicaB.withLock(DatabaseLock.ImageRetry, async () => 'ran')).toBe('ran');
    });
  });

  if (driver.name === 'mariadb') {
    it('holds the lock while the work runs, against tryLock on another connection', async () => {
      await replicaA.withLock(DatabaseLock.ImageRetry, async () => {
        expect(await replicaB.tryLock(DatabaseLock.ImageRetry)).toBeUndefined();
      });
      const after = await replicaB.tryLock(DatabaseLock.ImageRetry);
      expect(after).toBeDefined();
      await after?.release();
    });

    it('names locks per database: another database on the server neither waits nor excludes', async () => {
      const neighbour = await driver.create();
      try {
        const held = await replicaA.tryLock(DatabaseLock.ImageRetry);
        expect(held).toBeDefined();
        // Migrating the neighbour while this database holds its migration lock would wait for it if the
        // names were server-wide (the suite's timeout is below the lock's wait).
        const migrated = await replicaA.withLock(DatabaseLock.SchemaMigrations, async () => {
          const neighbourSource = await openMigrated(neighbour.config);
          try {
            const neighbourLock = await new LockRepository(neighbourSource).tryLock(DatabaseLock.ImageRetry);
            expect(neighbourLock).toBeDefined();
            await neighbourLock?.release();
          } finally {
            await neighbourSource.destroy();
          }
          return true;
        });
        expect(migrated).toBe(true);
        await held?.release();
      } finally {
        await neighbour.drop();
      }
    });
  } else {
    it('keeps its lease table in the migrated schema and lets an expired lease be taken over', async () => {
      const tables: Array<{ name: string }> = await first.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, [
        SQLITE_LEASE_TABLE,
      ]);
      expect(tables).toEqual([{ name: SQLITE_LEASE_TABLE }]);

      const crashed = await replicaA.tryLock(DatabaseLock.ImageRetry, { leaseMs: -1 });
      expect(crashed).toBeDefined();
      const taken = await replicaB.tryLock(DatabaseLock.ImageRetry);
      expect(taken).toBeDefined();
      expect(await replicaA.tryLock(DatabaseLock.ImageRetry)).toBeUndefined();
      await taken?.release();
    });
  }
});

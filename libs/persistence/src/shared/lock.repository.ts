import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JobLock } from '@visage/domain';
import { isMysqlFamily, sqliteConnection } from '../data-source-options';

/**
 * Every cross-process lock of the project, by name (as immich's `DatabaseLock`). A new lock user adds a
 * member here and calls `LockRepository.tryLock` or `withLock` with it.
 */
export enum DatabaseLock {
  /** Held while migrations run, so replicas starting together do not run the same DDL twice. */
  SchemaMigrations = 'schema-migrations',
  /** One replica per retry-job tick. */
  ImageRetry = 'image-retry-job',
  /** One replica at a time enrols KNOWN_FACES_DIR at start-up; the others wait, then find nothing new. */
  KnownFacesEnrolment = 'known-faces-enrolment',
  /** One replica re-matching faces against a newer gallery at a time. */
  FaceRematch = 'face-rematch-job',
  /** One replica re-describing faces stored with another descriptor recipe at a time. */
  FaceRedescription = 'face-redescription-job',
  /** One replica grouping unknown faces at a time. */
  FaceClustering = 'face-clustering-job',
  /** One replica relaying outcome events from the outbox to the queue at a time. */
  OutcomeRelay = 'outcome-relay-job',
  /** One replica POSTing outcome events to the webhooks at a time. */
  WebhookDelivery = 'webhook-delivery-job',
  /** One replica creating the first admin key of an empty database (else two would be generated and printed). */
  ApiKeyBootstrap = 'api-key-bootstrap',
}

/** Held by exactly one caller per name across every process sharing the database. */
export interface HeldLock {
  release(): Promise<void>;
}

export interface TryLockOptions {
  /** SQLite only: the lease expires after this long, so a crashed holder blocks only until then. */
  leaseMs?: number;
}

export interface WithLockOptions {
  /** How long to wait for the lock before failing. */
  waitMs?: number;
}

/** SQLite lease table, created by the SQLite migration `LockLeases`. */
export const SQLITE_LEASE_TABLE = 'visage_job_leases';
/** Far longer than a job tick, short enough that a crashed holder blocks only a few ticks. */
const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_WAIT_MS = 120_000;
/** MySQL limits lock names to 64 characters. */
const MYSQL_LOCK_NAME_LENGTH = 64;

/** SQLite waiting locks, per database file and name; see `withLock`. */
const sqliteQueues = new Map<string, Promise<unknown>>();

/**
 * MySQL lock names are server-wide: qualify them with the database, so two databases on one server (two
 * deployments, parallel test runs) never exclude each other. Too long a name is replaced by its hash.
 */
export function qualifiedLockName(database: string, lock: string): string {
  const name = `${database}:${lock}`;
  return name.length <= MYSQL_LOCK_NAME_LENGTH ? name : createHash('sha256').update(name).digest('hex').slice(0, MYSQL_LOCK_NAME_LENGTH);
}

/**
 * Cross-process locks, the one place the project takes them. MySQL/MariaDB: `GET_LOCK` on a dedicated
 * connection (freed by the server if that connection dies), named per database. SQLite: `tryLock` takes a
 * lease row with an expiry, since SQLite has no named locks and holding a write transaction for a whole job
 * would block every other writer.
 */
@Injectable()
export class LockRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Takes the lock without waiting; undefined when someone else holds it. */
  async tryLock(lock: DatabaseLock, options: TryLockOptions = {}): Promise<HeldLock | undefined> {
    return isMysqlFamily(this.dataSource.options) ? this.mysqlLock(lock, 0) : this.sqliteLease(lock, options.leaseMs ?? DEFAULT_LEASE_MS);
  }

  /** A scheduled job's lock (`ScheduledJob` of @visage/domain takes it with {@link tryLock} each run). */
  jobLock(lock: DatabaseLock, options: TryLockOptions = {}): JobLock {
    return { tryLock: () => this.tryLock(lock, options) };
  }

  /**
   * Waits for the lock (up to `waitMs`, then throws), runs `fn` and releases the lock however `fn` ends.
   * SQLite is opened by one process only (embedded mode, possibly several DataSources on one file), and the
   * migrations that create its lease table run under this lock, so waiting there is an in-process queue.
   */
  async withLock<T>(lock: DatabaseLock, fn: () => Promise<T>, options: WithLockOptions = {}): Promise<T> {
    const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
    if (!isMysqlFamily(this.dataSource.options)) return this.sqliteQueued(lock, fn);
    const held = await this.mysqlLock(lock, Math.ceil(waitMs / 1000));
    if (!held) throw new Error(`could not acquire the ${lock} lock within ${waitMs} ms`);
    try {
      return await fn();
    } finally {
      await held.release();
    }
  }

  private async mysqlLock(lock: DatabaseLock, waitSeconds: number): Promise<HeldLock | undefined> {
    const name = qualifiedLockName(String(this.dataSource.options.database), lock);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const rows: Array<{ acquired: number | string | null }> = await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [name, waitSeconds]);
      if (Number(rows[0]?.acquired) !== 1) {
        await runner.release();
        return undefined;
      }
    } catch (error) {
      await runner.release();
      throw error;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await runner.query('SELECT RELEASE_LOCK(?)', [name]);
        } finally {
          await runner.release();
        }
      },
    };
  }

  private async sqliteLease(lock: DatabaseLock, leaseMs: number): Promise<HeldLock | undefined> {
    const db = sqliteConnection(this.dataSource);
    const holder = randomUUID();
    const now = Date.now();
    const taken = db
      .prepare(
        `INSERT INTO ${SQLITE_LEASE_TABLE} (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE ${SQLITE_LEASE_TABLE}.expires_at < ?`,
      )
      .run(lock, holder, now + leaseMs, now).changes;
    if (taken !== 1) return undefined;
    return {
      release: async () => {
        db.prepare(`DELETE FROM ${SQLITE_LEASE_TABLE} WHERE name = ? AND holder = ?`).run(lock, holder);
      },
    };
  }

  private sqliteQueued<T>(lock: DatabaseLock, fn: () => Promise<T>): Promise<T> {
    const key = `${String(this.dataSource.options.database)}:${lock}`;
    const run = (sqliteQueues.get(key) ?? Promise.resolve()).then(fn);
    const settled = run.catch(() => undefined);
    sqliteQueues.set(key, settled);
    // Bookkeeping once the queue is idle, nobody waits for it; settled never rejects.
    void settled.then(() => {
      if (sqliteQueues.get(key) === settled) sqliteQueues.delete(key);
    });
    return run;
  }
}

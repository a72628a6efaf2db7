import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { DashboardSessionEntity } from './dashboard-session.entity';
import { AuditRecord, auditInsertedRow, auditStatement } from './audit.repository';
import { isUniqueViolation } from '../shared/database-errors';
import { runInTransaction, toStatement } from '../shared/transactions';

export interface ApiKeyView {
  id: number;
  name: string;
  scope: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** `last_used_at` is written at most this often per key, so an authenticated request is not a write every time. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** What authenticating a key needs to know of it. */
export type ActiveApiKey = Pick<ApiKeyView, 'id' | 'name' | 'scope'>;

/** API keys by hash: the key itself never reaches the database. */
@Injectable()
export class ApiKeyRepository {
  private readonly keys: Repository<ApiKeyEntity>;
  /** When this process last wrote each key's `last_used_at`: within the resolution, a request costs no statement. */
  private readonly touchedAt = new Map<number, number>();

  private readonly activeByHashSql: string;

  constructor(private readonly dataSource: DataSource) {
    this.keys = dataSource.getRepository(ApiKeyEntity);
    // `?` placeholders work for both mysql2 and better-sqlite3; identifiers quoted per dialect.
    const quote = (name: string) => dataSource.driver.escape(name);
    this.activeByHashSql =
      `SELECT ${['id', 'name', 'scope'].map(quote).join(', ')} FROM ${quote('api_keys')} ` +
      `WHERE ${quote('key_hash')} = ? AND ${quote('revoked_at')} IS NULL`;
  }

  /**
   * Undefined when the hash is taken (a 256-bit collision: in practice, the same key inserted twice).
   * `audit`: its row, in the same transaction.
   */
  async create(name: string, scope: string, keyHash: string, audit?: (keyId: number) => AuditRecord): Promise<ApiKeyView | undefined> {
    try {
      const results = await runInTransaction(this.dataSource, [
        toStatement(this.keys.createQueryBuilder().insert().values({ name, scope, keyHash }).updateEntity(false)),
        ...(audit ? [auditInsertedRow(0, audit)] : []),
      ]);
      const id = results?.[0].insertId;
      if (id === undefined) throw new Error('the database returned no id for the new key');
      return this.findById(id);
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async findById(id: number): Promise<ApiKeyView | undefined> {
    const row = await this.keys.findOne({ where: { id } });
    return row ? toView(row) : undefined;
  }

  /** The key with this hash unless it was revoked. */
  /** Every authenticated request runs this: one constant statement, not a query builder per call. */
  async findActiveByHash(keyHash: string): Promise<ActiveApiKey | undefined> {
    const rows = (await this.dataSource.query(this.activeByHashSql, [keyHash])) as Array<{ id: number | string; name: string; scope: string }>;
    return rows[0] ? { id: Number(rows[0].id), name: rows[0].name, scope: rows[0].scope } : undefined;
  }

  /** Every key, newest first, revoked ones included (they are named by the audit log). */
  async list(): Promise<ApiKeyView[]> {
    return (await this.keys.find({ order: { id: 'DESC' } })).map(toView);
  }

  async countActive(scope?: string): Promise<number> {
    return this.keys.count({ where: { revokedAt: IsNull(), ...(scope ? { scope } : {}) } });
  }

  /**
   * True when it was active and is now revoked; its dashboard sessions end with it. `audit`: its row, in the same
   * transaction, only then.
   */
  async revoke(id: number, audit?: AuditRecord, now = new Date()): Promise<boolean> {
    const revoke = toStatement(this.keys.createQueryBuilder().update().set({ revokedAt: now }).where('id = :id AND revoked_at IS NULL', { id }));
    const endSessions = toStatement(
      this.dataSource.getRepository(DashboardSessionEntity).createQueryBuilder().delete().where('key_id = :id', { id }),
    );
    const results = await runInTransaction(this.dataSource, [revoke, endSessions, ...(audit ? [auditStatement(audit)] : [])], { guarded: true });
    return results !== undefined;
  }

  /** Records a use unless one was recorded within {@link LAST_USED_RESOLUTION_MS}. */
  async touch(id: number, now = new Date()): Promise<void> {
    const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    if ((this.touchedAt.get(id) ?? -Infinity) >= stale.getTime()) return;
    this.touchedAt.set(id, now.getTime());
    await this.keys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: now })
      .where('id = :id', { id })
      .andWhere('(last_used_at IS NULL OR last_used_at < :stale)', { stale })
      .execute();
  }
}

function toView(row: ApiKeyEntity): ApiKeyView {
  return { id: row.id, name: row.name, scope: row.scope, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt };
}

import { Injectable } from '@nestjs/common';
import { DataSource, LessThan, Repository } from 'typeorm';
import { DashboardSessionEntity } from './dashboard-session.entity';
import { AuditRecord, auditStatement } from './audit.repository';
import { runInTransaction, toStatement } from '../shared/transactions';

export interface DashboardSessionView {
  id: number;
  keyId: number;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  userAgent: string | null;
}

/** `last_seen_at` is written at most this often per session: a dashboard request is not a write every time. */
export const SESSION_SEEN_RESOLUTION_MS = 60_000;

/** Dashboard sessions by token hash: the cookie's token itself never reaches the database. */
@Injectable()
export class DashboardSessionRepository {
  private readonly sessions: Repository<DashboardSessionEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.sessions = dataSource.getRepository(DashboardSessionEntity);
  }

  async create(
    session: { tokenHash: string; keyId: number; expiresAt: Date; userAgent: string | null },
    now = new Date(),
  ): Promise<DashboardSessionView> {
    const row = await this.sessions.save(this.sessions.create({ ...session, createdAt: now, lastSeenAt: now }));
    return toView(row);
  }

  /**
   * The live session of `tokenHash`: not past its absolute expiry and seen within `idleMs`. A session found
   * expired is deleted. Its `last_seen_at` is moved to `now` when older than {@link SESSION_SEEN_RESOLUTION_MS}.
   */
  async findLive(tokenHash: string, idleMs: number, now = new Date()): Promise<DashboardSessionView | undefined> {
    const row = await this.sessions.findOne({ where: { tokenHash } });
    if (!row) return undefined;
    if (row.expiresAt.getTime() <= now.getTime() || row.lastSeenAt.getTime() + idleMs <= now.getTime()) {
      await this.sessions.delete({ id: row.id });
      return undefined;
    }
    if (now.getTime() - row.lastSeenAt.getTime() >= SESSION_SEEN_RESOLUTION_MS) {
      await this.sessions.update({ id: row.id }, { lastSeenAt: now });
      row.lastSeenAt = now;
    }
    return toView(row);
  }

  /** Every session not past its absolute expiry, newest first (idle ones are dropped when next presented). */
  async listLive(now = new Date()): Promise<DashboardSessionView[]> {
    await this.sessions.delete({ expiresAt: LessThan(now) });
    return (await this.sessions.find({ order: { id: 'DESC' } })).map(toView);
  }

  /** Logout: true when the session existed. */
  async deleteByToken(tokenHash: string): Promise<boolean> {
    return ((await this.sessions.delete({ tokenHash })).affected ?? 0) > 0;
  }

  /** An admin ending a session: true when it existed. `audit`: its row, in the same transaction, only then. */
  async deleteById(id: number, audit?: AuditRecord): Promise<boolean> {
    const remove = toStatement(this.sessions.createQueryBuilder().delete().where('id = :id', { id }));
    return (await runInTransaction(this.dataSource, [remove, ...(audit ? [auditStatement(audit)] : [])], { guarded: true })) !== undefined;
  }
}

function toView(row: DashboardSessionEntity): DashboardSessionView {
  return { id: row.id, keyId: row.keyId, createdAt: row.createdAt, lastSeenAt: row.lastSeenAt, expiresAt: row.expiresAt, userAgent: row.userAgent };
}

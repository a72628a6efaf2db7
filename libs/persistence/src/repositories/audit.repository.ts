import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { AuditEventEntity } from '../entities';

export interface AuditRecord {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, string | number | boolean | null>;
}

export interface AuditEventView extends Omit<AuditRecord, 'details'> {
  id: number;
  at: Date;
  details: Record<string, unknown> | null;
}

/** The audit log: appended to, read newest first by id (keyset: `beforeId`). */
@Injectable()
export class AuditRepository {
  private readonly events: Repository<AuditEventEntity>;

  constructor(dataSource: DataSource) {
    this.events = dataSource.getRepository(AuditEventEntity);
  }

  async record(event: AuditRecord): Promise<void> {
    await this.events
      .createQueryBuilder()
      .insert()
      .values({ actor: event.actor, action: event.action, target: event.target, details: event.details ? JSON.stringify(event.details) : null })
      .updateEntity(false)
      .execute();
  }

  async list(limit: number, beforeId?: number): Promise<AuditEventView[]> {
    const builder = this.events.createQueryBuilder('event').orderBy('event.id', 'DESC').limit(limit);
    if (beforeId !== undefined) builder.where('event.id < :beforeId', { beforeId });
    return (await builder.getMany()).map((row) => ({
      id: row.id,
      at: row.createdAt,
      actor: row.actor,
      action: row.action,
      target: row.target,
      details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    }));
  }
}

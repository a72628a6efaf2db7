import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity';
import { ifChanged } from '../shared/transactions';
import type { DeferredStatement, Statement, StatementResult } from '../shared/transactions';
import { decodeIdCursor, IdCursor, idCursorAfter } from '../shared/keyset-cursor';

/** A value computed by SQL in the audit row's own statement (an id that only exists inside the transaction). */
export interface AuditSqlValue {
  sql: string;
  parameters: unknown[];
}

export interface AuditRecord {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, string | number | boolean | null | AuditSqlValue>;
}

export interface AuditEventView extends Omit<AuditRecord, 'details'> {
  id: number;
  at: Date;
  details: Record<string, unknown> | null;
}

const isSqlValue = (value: unknown): value is AuditSqlValue => typeof value === 'object' && value !== null && 'sql' in value;

/**
 * The INSERT of an audit row, to run in the transaction of the change it records (so one never commits without
 * the other). Details computed by SQL are assembled with JSON_OBJECT (MySQL and SQLite's JSON1 alike).
 */
export function auditStatement(record: AuditRecord): Statement {
  const entries = Object.entries(record.details ?? {});
  const head = 'INSERT INTO audit_events (actor, action, target, details) VALUES (?, ?, ?, ';
  const fixed = [record.actor, record.action, record.target];
  if (!entries.some(([, value]) => isSqlValue(value))) {
    return [`${head}?)`, [...fixed, record.details ? JSON.stringify(record.details) : null]];
  }
  const pairs = entries.map(([key, value]) =>
    isSqlValue(value) ? { sql: `?, ${value.sql}`, parameters: [key, ...value.parameters] } : { sql: '?, ?', parameters: [key, value] },
  );
  return [`${head}JSON_OBJECT(${pairs.map((pair) => pair.sql).join(', ')}))`, [...fixed, ...pairs.flatMap((pair) => pair.parameters)]];
}

/** The audit row of an INSERT's new row: written after the statement at `index`, naming the id it generated. */
export function auditInsertedRow(index: number, record: (id: number) => AuditRecord): DeferredStatement {
  return (previous: readonly StatementResult[]) => {
    const id = previous[index]?.insertId;
    if (id === undefined) throw new Error('the database returned no id for the audited row');
    return auditStatement(record(id));
  };
}

/** The audit row of an INSERT that may insert nothing (`INSERT IGNORE`): written only when it made a row, naming its id. */
export function auditIfInserted(index: number, record: (id: number) => AuditRecord): DeferredStatement {
  return (previous: readonly StatementResult[]) => {
    const inserted = previous[index];
    return inserted && inserted.affected > 0 && inserted.insertId !== undefined ? auditStatement(record(inserted.insertId)) : undefined;
  };
}

/** The audit row of a change, written only if the statement at `index` changed a row (a delete that found it). */
export function auditIfChanged(index: number, record: AuditRecord): DeferredStatement {
  return ifChanged(index, auditStatement(record));
}

/** Keyset position in the audit log: newest first by id, the shared id cursor. */
export type AuditCursor = IdCursor;

/** Undefined for anything {@link auditCursorAfter} did not produce. */
export const decodeAuditCursor: (value: string) => AuditCursor | undefined = decodeIdCursor;

/** The cursor of the page after the one ending with `last`. */
export const auditCursorAfter: (last: Pick<AuditEventView, 'id'>) => string = idCursorAfter;

/** The audit log as admins read it: newest first by id (keyset: {@link AuditCursor}). Rows are written by {@link auditStatement}. */
@Injectable()
export class AuditRepository {
  private readonly events: Repository<AuditEventEntity>;

  constructor(dataSource: DataSource) {
    this.events = dataSource.getRepository(AuditEventEntity);
  }

  async list(limit: number, after?: AuditCursor): Promise<AuditEventView[]> {
    const builder = this.events.createQueryBuilder('event').orderBy('event.id', 'DESC').limit(limit);
    if (after !== undefined) builder.where('event.id < :beforeId', { beforeId: after.beforeId });
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

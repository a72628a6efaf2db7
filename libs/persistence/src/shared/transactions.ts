import type BetterSqlite3 from 'better-sqlite3';
import { DataSource, ObjectLiteral, QueryBuilder } from 'typeorm';
import { sqliteConnection } from '../data-source-options';
import { isDeadlock, PersistenceError } from './database-errors';

/** One SQL statement with its `?` parameters (both drivers accept them). */
export type Statement = [sql: string, parameters: unknown[]];

/** `?, ?, …`: the parameter list of an `IN (…)` of `count` values (both drivers take `?`). */
export function placeholders(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}

export interface StatementResult {
  /** Rows changed. */
  affected: number;
  /** Generated id of an INSERT (its last row). */
  insertId: number | undefined;
}

/**
 * A statement built inside the transaction from the results of the ones before it (an audit row naming the id
 * an INSERT just generated); undefined runs nothing (and counts as changing no row).
 */
export type DeferredStatement = (previous: readonly StatementResult[]) => Statement | undefined;

/** What a transaction runs, in order. */
export type TransactionStep = Statement | DeferredStatement;

const NOTHING_RUN: StatementResult = { affected: 0, insertId: undefined };

/** `statement`, run only if the statement at `index` changed a row (a delete that found what it deletes). */
export function ifChanged(index: number, statement: Statement): DeferredStatement {
  return (previous: readonly StatementResult[]) => ((previous[index]?.affected ?? 0) > 0 ? statement : undefined);
}

/** InnoDB may still pick a transaction as a deadlock victim; the whole transaction is safe to replay. */
const DEADLOCK_RETRIES = 3;

export function toStatement(builder: QueryBuilder<ObjectLiteral>): Statement {
  const [sql, parameters] = builder.getQueryAndParameters();
  return [sql, parameters as unknown[]];
}

/**
 * Runs `statements` in one transaction and returns what each changed. With `guarded`, the first statement is a
 * guard: unless it changed exactly one row nothing is changed and the result is undefined.
 * SQLite goes through better-sqlite3's synchronous transaction: TypeORM shares ONE connection among all async
 * callers there, so an awaited BEGIN…COMMIT could swallow other callers' statements. MySQL runs READ COMMITTED
 * (no gap locks, which made concurrent writers of `faces` deadlock) and replays a deadlocked transaction.
 */
export async function runInTransaction(
  dataSource: DataSource,
  statements: TransactionStep[],
  options: { guarded?: boolean } = {},
): Promise<StatementResult[] | undefined> {
  if (dataSource.options.type === 'better-sqlite3') return runSqlite(sqliteConnection(dataSource), statements, options.guarded ?? false);
  for (let attempt = 1; ; attempt++) {
    try {
      return await runMysql(dataSource, statements, options.guarded ?? false);
    } catch (error) {
      if (!isDeadlock(error)) throw error;
      // The driver's error never leaves a repository: the caller gets the domain code (a 503 at the receiver).
      if (attempt >= DEADLOCK_RETRIES) throw new PersistenceError('database_busy');
    }
  }
}

/** What `step` runs now; when nothing, that is recorded in `results` (keeping their indexes those of the steps). */
function statementOf(step: TransactionStep, results: StatementResult[]): Statement | undefined {
  const statement = typeof step === 'function' ? step(results) : step;
  if (!statement) results.push(NOTHING_RUN);
  return statement;
}

function runSqlite(db: BetterSqlite3.Database, statements: TransactionStep[], guarded: boolean): StatementResult[] | undefined {
  const run = db.transaction(() => {
    const results: StatementResult[] = [];
    for (const [index, step] of statements.entries()) {
      const statement = statementOf(step, results);
      if (!statement) continue;
      const [sql, parameters] = statement;
      const outcome = db.prepare(sql).run(...parameters);
      if (guarded && index === 0 && outcome.changes !== 1) return undefined;
      results.push({ affected: outcome.changes, insertId: Number(outcome.lastInsertRowid) || undefined });
    }
    return results;
  });
  return run();
}

async function runMysql(dataSource: DataSource, statements: TransactionStep[], guarded: boolean): Promise<StatementResult[] | undefined> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction('READ COMMITTED');
    const results: StatementResult[] = [];
    for (const [index, step] of statements.entries()) {
      const statement = statementOf(step, results);
      if (!statement) continue;
      const [sql, parameters] = statement;
      const outcome = await runner.query(sql, parameters, true);
      if (guarded && index === 0 && outcome.affected !== 1) {
        await runner.rollbackTransaction();
        return undefined;
      }
      const raw = outcome.raw as { insertId?: number } | undefined;
      results.push({ affected: outcome.affected ?? 0, insertId: raw?.insertId || undefined });
    }
    await runner.commitTransaction();
    return results;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

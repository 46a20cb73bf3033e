import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryResultRow } from 'pg';
import {
  DataSource,
  type EntityManager,
  type ObjectLiteral,
  QueryFailedError,
  type QueryResult,
  type Repository,
} from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { DatabaseSettings } from 'src/database/database.settings';

/**
 * One SQL statement of a feature (`src/<feature>/<feature>.sql.ts`): its text, the name it is prepared under
 * on PostgreSQL (unique per text), and the one place its positional parameters are built, from a typed input.
 * `Row` is what each returned row holds; it is only declared, never present at runtime.
 */
export interface Statement<Input, Row extends QueryResultRow = QueryResultRow> {
  readonly name: string;
  readonly text: string;
  params(input: Input): unknown[];
  readonly row?: Row;
}

const MANAGER = Symbol('Tx.manager');

/** Notifies every listening replica (docs/revocation.md); delivered when the transaction commits. */
const NOTIFY: Statement<{ channel: string; payload: string }, never> = {
  name: 'invalidation_notify',
  text: 'SELECT pg_notify($1, $2)',
  params: ({ channel, payload }) => [channel, payload],
};

/**
 * A transaction in progress. Services receive it from `Database.transaction` and pass it on to repositories
 * without looking into it; repositories run on it through `Database.run` (statements) or `onTx` (their
 * TypeORM repository).
 */
export interface Tx {
  readonly [MANAGER]: EntityManager;
}

/**
 * A repository's TypeORM `Repository<Entity>` as `tx` sees it: itself outside a transaction, else the same
 * repository on the transaction's connection (its entity manager's).
 */
export function onTx<Entity extends ObjectLiteral>(repository: Repository<Entity>, tx?: Tx): Repository<Entity> {
  return tx === undefined ? repository : tx[MANAGER].getRepository(repository.target);
}

/** What the driver's connection pool reports (zeros when it reports nothing). */
export interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * The one way the service runs its statements. On PostgreSQL a statement outside a transaction runs as a
 * named prepared statement straight on the pg pool (planned once per connection: planning the hot statements
 * costs more than running them); on the embedded PGlite it goes through TypeORM, which lends its single
 * connection to one caller at a time. Inside a transaction it runs on the transaction's connection.
 */
@Injectable()
export class Database {
  /** The pg pool, on PostgreSQL; the embedded database has none that could be shared safely. */
  private readonly pool: Pool | undefined;
  /** Every migration of this build was found applied (readiness asks until then). */
  private migrationsApplied = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: DatabaseSettings,
  ) {
    this.pool = config.isEmbeddedDatabase ? undefined : ((dataSource.driver as PostgresDriver).master as Pool);
  }

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work({ [MANAGER]: manager }));
  }

  /** The rows the statement returns (none for a statement that returns none). */
  async run<Input, Row extends QueryResultRow>(
    statement: Statement<Input, Row>,
    input: Input,
    tx?: Tx,
  ): Promise<Row[]> {
    const values = statement.params(input);
    if (tx === undefined && this.pool !== undefined) {
      return (await this.pool.query<Row>({ name: statement.name, text: statement.text, values })).rows;
    }
    const own = tx === undefined ? this.dataSource.createQueryRunner() : undefined;
    const runner = own ?? tx?.[MANAGER].queryRunner;
    if (runner === undefined) {
      throw new Error('the transaction has no connection');
    }
    try {
      // The structured result holds the rows for every kind of statement (TypeORM's plain one is
      // [rows, count] for an UPDATE or a DELETE).
      const result = (await runner.query(statement.text, values, true)) as QueryResult<Row>;
      return result.records ?? [];
    } finally {
      await own?.release();
    }
  }

  /**
   * Sends `payload` on the notification channel when `tx` commits, and never if it rolls back (`pg_notify`:
   * no table, so no repository).
   */
  async notify(channel: string, payload: string, tx: Tx): Promise<void> {
    await this.run(NOTIFY, { channel, payload }, tx);
  }

  /** The first row the statement returns, if any. */
  async one<Input, Row extends QueryResultRow>(
    statement: Statement<Input, Row>,
    input: Input,
    tx?: Tx,
  ): Promise<Row | undefined> {
    const [row] = await this.run(statement, input, tx);
    return row;
  }

  /**
   * Migrations of this build not yet applied to the database (readiness). Once none are pending none can become
   * so, and the answer is kept: a probe then costs no query.
   */
  async pendingMigrations(): Promise<string[]> {
    if (this.migrationsApplied) {
      return [];
    }
    const table = this.dataSource.options.migrationsTableName ?? 'migrations';
    const rows = await this.dataSource.query<{ name: string }[]>(`SELECT name FROM "${table}"`);
    const applied = new Set(rows.map((row) => row.name));
    const pending = this.dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name);
    const missing = pending.filter((name) => !applied.has(name));
    this.migrationsApplied = missing.length === 0;
    return missing;
  }

  /** Connections of the driver's pool, for the metrics. */
  poolCounts(): PoolCounts {
    const pool = (this.dataSource.driver as unknown as { master?: Partial<Pool> }).master;
    return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
  }
}

const UNIQUE_VIOLATION = '23505';

/** The error is a unique violation (of `constraint`, when given), whichever way the statement ran. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driverError = (error instanceof QueryFailedError ? error.driverError : error) as {
    code?: unknown;
    constraint?: unknown;
    message?: unknown;
  } | null;
  return (
    driverError?.code === UNIQUE_VIOLATION &&
    (constraint === undefined ||
      driverError.constraint === constraint ||
      (typeof driverError.message === 'string' && driverError.message.includes(constraint)))
  );
}

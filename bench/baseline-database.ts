import { PGlite } from '@electric-sql/pglite';
import { Pool, type QueryResultRow } from 'pg';

/** What both baselines read from their environment: a variable the bench sets, or its fallback. */
export const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    throw new Error(`${name} is required`);
  }
  return value;
};

export interface Statement {
  name?: string;
  text: string;
}

/** The service's pool settings on PostgreSQL (named prepared statements, like the service); PGlite otherwise. */
export function database(): (statement: Statement, values: unknown[]) => Promise<QueryResultRow[]> {
  const pgliteDir = process.env.BASELINE_PGLITE_DIR;
  if (pgliteDir !== undefined) {
    const db = new PGlite(pgliteDir);
    return async (statement, values) => (await db.query<QueryResultRow>(statement.text, values)).rows;
  }
  const pool = new Pool({
    connectionString: env('DATABASE_URL'),
    max: Number(process.env.DATABASE_POOL_MAX ?? 10),
    connectionTimeoutMillis: 2_000,
    statement_timeout: 5_000,
    query_timeout: 6_000,
  });
  return async (statement, values) => (await pool.query<QueryResultRow>({ ...statement, values })).rows;
}

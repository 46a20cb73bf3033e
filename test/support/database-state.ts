import type { TestApp } from './test-app';

/**
 * Bookkeeping the service writes off the request path, whatever the request's outcome: not part of what a
 * rejected request may change.
 */
const BOOKKEEPING_COLUMNS: Record<string, string[]> = { api_keys: ['last_used_at'] };

/**
 * A fingerprint of every application table (row count and a checksum of the rows), to prove that a rejected
 * request wrote nothing. Built from the catalogue, so a table added later is covered without a change here.
 */
export async function databaseFingerprint(t: TestApp): Promise<Record<string, string>> {
  const statement = await fingerprintStatement(t);
  const [row] = await t.query<Record<string, string>>(statement);
  return row;
}

const statements = new WeakMap<TestApp, string>();

async function fingerprintStatement(t: TestApp): Promise<string> {
  const cached = statements.get(t);
  if (cached !== undefined) {
    return cached;
  }
  const columns = await t.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'migrations'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const { table_name: table, column_name: column } of columns) {
    if (!(BOOKKEEPING_COLUMNS[table] ?? []).includes(column)) {
      tables.set(table, [...(tables.get(table) ?? []), `"${column}"`]);
    }
  }
  const parts = [...tables].map(
    ([table, names]) =>
      `(SELECT count(*) || ':' || coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM ` +
      `(SELECT md5(row(${names.join(', ')})::text) AS h FROM "${table}") s) AS "${table}"`,
  );
  const statement = `SELECT ${parts.join(', ')}`;
  statements.set(t, statement);
  return statement;
}

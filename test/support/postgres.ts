import { Client } from 'pg';

/** The real PostgreSQL of the test run, when TEST_DATABASE_URL names one; otherwise tests use the embedded database. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

export const TEMPLATE_DATABASE_ENV = 'AURA_TEST_TEMPLATE_DATABASE';

export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs statements on the server's maintenance connection (the database named in TEST_DATABASE_URL). */
export async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

import { TEMPLATE_DATABASE_ENV, TEST_DATABASE_URL, withAdminClient } from './postgres';

/** Drops the template and any per-file database a crashed test file left behind. */
export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (TEST_DATABASE_URL === undefined || template === undefined) {
    return;
  }
  await withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
      [template, `${template}\\_f%`],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  });
}

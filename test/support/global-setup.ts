// Global setup runs outside Jest's module system: resolve the `src/` alias here.
import 'tsconfig-paths/register';
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from 'src/config/app-config';
import { DatabaseSettings } from 'src/database/database.settings';
import { dataSourceOptions } from 'src/database/data-source-options';
import { ensureBuilt } from './built-service';
import { databaseUrl, TEMPLATE_DATABASE_ENV, TEST_DATABASE_URL, withAdminClient } from './postgres';

/**
 * Once per run: the production build (process-level tests start it), and, with a real PostgreSQL, one
 * migrated template database; every test file then gets its own copy (CREATE DATABASE … TEMPLATE),
 * which takes milliseconds.
 */
export default async function globalSetup(): Promise<void> {
  ensureBuilt();
  if (TEST_DATABASE_URL === undefined) {
    return;
  }
  const template = `aura_test_template_${process.pid}`;
  await withAdminClient(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${template}`);
    await client.query(`CREATE DATABASE ${template}`);
  });
  const dataSource = new DataSource(
    dataSourceOptions(
      loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl(TEST_DATABASE_URL, template) }).get(DatabaseSettings),
    ),
  );
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'all' });
  await dataSource.destroy();
  process.env[TEMPLATE_DATABASE_ENV] = template;
}

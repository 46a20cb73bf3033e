// Global setup runs outside Jest's module system: resolve the `src/` alias here.
import 'tsconfig-paths/register';
import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { getPGliteInstance } from 'typeorm-pglite';
import { loadConfig } from 'src/config/app-config';
import { DatabaseSettings } from 'src/database/database.settings';
import { dataSourceOptions } from 'src/database/data-source-options';
import { TEST_DATABASE_URL } from '../support/postgres';
import { REPOSITORY_TEMPLATE_ENV, REPOSITORY_TEST_ENV } from './repository-env';

/**
 * Once per run, on the embedded database: one PGlite database migrated by the app's data source, dumped to a
 * file; each test file loads it into a PGlite of its own, in memory, instead of running initdb and every
 * migration again. On PostgreSQL each file creates and migrates its own database, which is fast.
 */
export default async function globalSetup(): Promise<void> {
  if (TEST_DATABASE_URL !== undefined) {
    return;
  }
  const dataSource = new DataSource(dataSourceOptions(loadConfig(REPOSITORY_TEST_ENV).get(DatabaseSettings)));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'all' });
  const dump = await (await getPGliteInstance()).dumpDataDir('none');
  await dataSource.destroy();
  const file = join(mkdtempSync(join(tmpdir(), 'aura-repository-template-')), 'migrated.tar');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env[REPOSITORY_TEMPLATE_ENV] = file;
}

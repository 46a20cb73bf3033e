// Global setup runs outside Jest's module system: resolve the `src/` alias here.
import 'tsconfig-paths/register';
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from 'src/config/app-config';
import { dataSourceOptions, embeddedDataDir } from 'src/database/data-source-options';
import { TEST_DATABASE_URL } from '../support/postgres';
import { REPOSITORY_TEMPLATE_ENV, REPOSITORY_TEST_ENV } from './repository-env';

/**
 * Once per run, on the embedded database: one PGlite database migrated by the app's data source, in a
 * temporary folder; each test file opens a copy of it (a folder copy, ~0.2 s) instead of running initdb and
 * every migration again. On PostgreSQL each file creates and migrates its own database, which is fast.
 */
export default async function globalSetup(): Promise<void> {
  if (TEST_DATABASE_URL !== undefined) {
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'aura-repository-template-'));
  const dataSource = new DataSource(dataSourceOptions(loadConfig({ ...REPOSITORY_TEST_ENV, DATA_DIR: dir })));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'all' });
  await dataSource.destroy();
  process.env[REPOSITORY_TEMPLATE_ENV] = embeddedDataDir(dir);
}

import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions, Response as InjectResponse } from 'light-my-request';
import { DataSource } from 'typeorm';
import { ApiKeysService, type CreatedApiKey, type CreateApiKeyCommand } from 'src/api-keys/api-keys.service';
import { Tier } from 'src/api-keys/tier';
import { createApp } from 'src/bootstrap';
import { loadConfig, type AppConfig } from 'src/config/app-config';
import { databaseUrl, TEMPLATE_DATABASE_ENV, TEST_DATABASE_URL, withAdminClient } from './postgres';

/** Settings every test app starts from; a test overrides what it is about. */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  APIKEY_ENVIRONMENT: 'test',
  DATA_DIR: 'memory://',
  PUBLIC_BASE_URL: 'http://aura-auth.test',
  AZURE_STORAGE_SUBDOMAIN: 'auratest',
  // The app shares the Jest worker's heap, which says nothing about the service's own.
  HEALTH_HEAP_LIMIT_MB: '8192',
};

/** Every log line the app wrote, as text, so tests can assert on what leaves the process. */
export class CapturedLogs extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
    done();
  }

  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  logs: CapturedLogs;
  dataSource: DataSource;
  /** In-process HTTP request through the whole Fastify/Nest stack (no socket). */
  request(options: InjectOptions): Promise<InjectResponse>;
  /** Runs SQL against the app's database, for assertions on stored state. */
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
  /** Creates an API key as the operator CLI would, and returns it. */
  createKey(tier: Tier, options?: Partial<CreateApiKeyCommand>): Promise<CreatedApiKey>;
  close(): Promise<void>;
}

let databaseCounter = 0;

export interface TestDatabase {
  /** Variables that point the service (or the CLI) at this database. */
  env: Record<string, string | undefined>;
  drop(): Promise<void>;
}

/**
 * A fresh database: a copy of the migrated template on PostgreSQL, or else an embedded one —
 * in memory, or in a temporary folder when several processes or contexts must share it (`persistent`).
 */
export async function freshDatabase(options: { persistent?: boolean } = {}): Promise<TestDatabase> {
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (TEST_DATABASE_URL === undefined || template === undefined) {
    if (!options.persistent) {
      return {
        env: { DATABASE_URL: undefined, DATA_DIR: 'memory://', DATABASE_MIGRATIONS_RUN: 'true' },
        drop: () => Promise.resolve(),
      };
    }
    const dir = await mkdtemp(join(tmpdir(), 'aura-test-'));
    return {
      env: { DATABASE_URL: undefined, DATA_DIR: dir, DATABASE_MIGRATIONS_RUN: 'true' },
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const name = `${template}_f${process.pid}_${++databaseCounter}_${randomBytes(3).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    env: { DATABASE_URL: databaseUrl(TEST_DATABASE_URL, name), DATABASE_MIGRATIONS_RUN: 'false' },
    drop: () =>
      withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** The configuration a test app (or CLI run) gets: test defaults, then the database, then the test's own values. */
export function testConfig(database: TestDatabase, env: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({ ...TEST_ENV, ...database.env, ...env });
}

/**
 * Boots the real application (same createApp() as main.ts) on its own database.
 * Passport strategies are process-wide, so a test file runs one app at a time.
 */
export async function createTestApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const database = await freshDatabase();
  const config = testConfig(database, env);
  const logs = new CapturedLogs();
  const app = await createApp({ config, logDestination: logs });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const dataSource = app.get(DataSource);
  return {
    app,
    config,
    logs,
    dataSource,
    request: (options) => app.inject(options),
    query: (sql, parameters) => dataSource.query(sql, parameters),
    createKey: (tier, options = {}) => app.get(ApiKeysService).create({ name: `test ${tier}`, tier, ...options }),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

export function apiKeyHeader(key: string): Record<string, string> {
  return { 'x-api-key': key };
}

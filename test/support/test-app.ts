import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
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

/** A fresh database for one test file: a copy of the migrated template on PostgreSQL, or an in-memory PGlite. */
async function freshDatabaseUrl(): Promise<{ url?: string; drop(): Promise<void> }> {
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (TEST_DATABASE_URL === undefined || template === undefined) {
    return { url: undefined, drop: () => Promise.resolve() };
  }
  const name = `${template}_f${process.pid}_${++databaseCounter}_${randomBytes(3).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    url: databaseUrl(TEST_DATABASE_URL, name),
    drop: () =>
      withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * Boots the real application (same createApp() as main.ts) on its own database.
 * Passport strategies are process-wide, so a test file runs one app at a time.
 */
export async function createTestApp(env: Record<string, string | undefined> = {}): Promise<TestApp> {
  const database = await freshDatabaseUrl();
  const config = loadConfig({
    ...TEST_ENV,
    DATABASE_URL: database.url,
    DATABASE_MIGRATIONS_RUN: database.url === undefined ? 'true' : 'false',
    ...env,
  });
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

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
import { Tier } from 'src/auth/tier';
import { createApp } from 'src/bootstrap';
import { loadConfig, type AppConfig } from 'src/config/app-config';
import { openApiContract } from './openapi-contract';
import { databaseUrl, TEMPLATE_DATABASE_ENV, TEST_DATABASE_URL, withAdminClient } from './postgres';
import { SecretLedger } from './secret-ledger';

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
  // Every test request comes from one address, where suites try hundreds of bad keys on purpose; the limit
  // itself is tested where a test sets it (test/api-keys/access-boundary.e2e-spec.ts).
  AUTH_FAILURE_LIMIT: '1000000',
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
  /**
   * In-process HTTP request through the whole Fastify/Nest stack (no socket). The response is checked
   * against the committed OpenAPI document (a violation throws), and what went in is noted in `secrets`.
   */
  request(options: InjectOptions): Promise<InjectResponse>;
  /** Secrets and personal data this app was given; `close()` fails if any appears in a log line or error body. */
  secrets: SecretLedger;
  /** Every problem body the app answered, for the scan at `close()`. */
  problemBodies: string[];
  /** Runs SQL against the app's database, for assertions on stored state. */
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
  /** Creates an API key as the operator CLI would, and returns it. */
  createKey(tier: Tier, options?: Partial<CreateApiKeyCommand>): Promise<CreatedApiKey>;
  /** GET /metrics as the ServiceMonitor scrapes it: with an API key of the environment (public, made once). */
  scrape(): Promise<InjectResponse>;
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
  const routes = recordRoutes(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const dataSource = app.get(DataSource);
  const secrets = new SecretLedger(config);
  const problemBodies: string[] = [];
  const contract = openApiContract();
  let scrapeKey: string | undefined;
  const testApp: TestApp = {
    app,
    config,
    logs,
    dataSource,
    secrets,
    problemBodies,
    request: async (options) => {
      secrets.observeRequest(options);
      const response = await app.inject(options);
      const requestId = response.headers['x-request-id'] as string | undefined;
      const route = requestId === undefined ? undefined : routes.get(requestId);
      if (requestId !== undefined) {
        routes.delete(requestId);
      }
      const contentType = response.headers['content-type'] as string | undefined;
      if (contentType?.startsWith('application/problem+json')) {
        problemBodies.push(response.body);
      } else if (response.statusCode < 300 && contentType?.startsWith('application/json')) {
        secrets.observeSuccess(JSON.parse(response.body));
      }
      const violations = contract.check({
        method: options.method ?? 'GET',
        route,
        url: typeof options.url === 'string' ? options.url : undefined,
        statusCode: response.statusCode,
        contentType,
        body: response.body,
      });
      if (violations.length > 0) {
        throw new Error(
          `OpenAPI contract: ${options.method ?? 'GET'} ${route ?? 'unmatched'} → ${response.statusCode}: ` +
            `${violations.join('; ')}\n${response.body.slice(0, 500)}`,
        );
      }
      return response;
    },
    query: (sql, parameters) => dataSource.query(sql, parameters),
    createKey: async (tier, options = {}) => {
      const created = await app.get(ApiKeysService).create({ name: `test ${tier}`, tier, ...options });
      secrets.addApiKey(created.key);
      return created;
    },
    scrape: async () => {
      scrapeKey ??= (await app.get(ApiKeysService).create({ name: 'prometheus', tier: Tier.Public })).key;
      secrets.addApiKey(scrapeKey);
      return testApp.request({ method: 'GET', url: '/metrics', headers: { authorization: `APIKEY ${scrapeKey}` } });
    },
    close: async () => {
      await app.close();
      await database.drop();
      assertNothingLeaked(secrets, logs, problemBodies);
    },
  };
  return testApp;
}

/** Request id → the route template that served it, so each response is checked against its operation. */
function recordRoutes(app: NestFastifyApplication): Map<string, string | undefined> {
  const routes = new Map<string, string | undefined>();
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (request, _reply, payload, done) => {
      routes.set(String(request.id), request.routeOptions.url);
      done(null, payload);
    });
  return routes;
}

function logMessage(line: string): string {
  try {
    return String((JSON.parse(line) as { message?: unknown }).message).slice(0, 80);
  } catch {
    return 'not JSON';
  }
}

/** No secret or personal value the app was given may appear in its logs or in an error body it sent. */
export function assertNothingLeaked(secrets: SecretLedger, logs: CapturedLogs, problemBodies: string[]): void {
  const leaks = [
    ...secrets.findIn(logs.lines, (index) => `log line ${index + 1} ("${logMessage(logs.lines[index])}")`),
    ...secrets.findIn(problemBodies, (index) => `problem body ${index + 1}`),
  ];
  if (leaks.length > 0) {
    throw new Error(
      `Secrets or personal data leaked (${leaks.length}): ${[...new Set(leaks)].slice(0, 20).join('; ')}`,
    );
  }
}

export function apiKeyHeader(key: string): Record<string, string> {
  return { 'x-api-key': key };
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientBase } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSettings } from 'src/database/database.settings';
import { ENTITIES_GLOB, MIGRATIONS_DIR } from 'src/build-paths';
import { embeddedPostgresDriver } from 'src/database/embedded-pool';
import { seedFromTemplate } from 'src/database/embedded-template';

const MIGRATIONS_GLOB = join(MIGRATIONS_DIR, '*.{ts,js}');

/** Embedded database location: a folder under DATA_DIR, or memory for `memory://`. */
export function embeddedDataDir(dataDir: string): string | undefined {
  return dataDir.startsWith('memory://') ? undefined : join(dataDir, 'pglite');
}

/**
 * Every pooled connection always has an 'error' listener. The pool hands a released connection straight to
 * the next waiting request, and TypeORM attaches its own listener a tick later; a backend terminated in that
 * moment (failover, restart, pg_terminate_backend) made the connection emit an error nobody listened to, which
 * ends the process. The error itself still reaches the queries and the pool, which drop the connection.
 */
function keepClientErrorsHandled(client: ClientBase): void {
  client.on('error', () => undefined);
}

/** TypeORM options shared by the application and the CLI: PostgreSQL when DATABASE_URL is set, PGlite otherwise. */
export function dataSourceOptions(config: DatabaseSettings): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: [ENTITIES_GLOB],
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'migrations',
    synchronize: false,
    installExtensions: false,
    // gen_random_uuid() is built into PostgreSQL 13+ (and PGlite): no extension to install.
    uuidExtension: 'pgcrypto' as const,
    // TypeORM's own logger prints failed queries with their parameters (phone numbers, auraIds): off.
    // Errors still reach the caller, and the problem filter logs them without parameters.
    logging: false,
  };
  if (config.DATABASE_URL === undefined) {
    const dataDir = embeddedDataDir(config.DATA_DIR);
    if (dataDir !== undefined) {
      // The service and the migration CLI alike start on a machine where the folder does not exist yet.
      seedFromTemplate(dataDir);
      mkdirSync(dataDir, { recursive: true });
    }
    return { ...common, driver: embeddedPostgresDriver({ dataDir }) };
  }
  return {
    ...common,
    url: config.DATABASE_URL,
    applicationName: 'aura-authentication-api',
    poolSize: config.DATABASE_POOL_MAX,
    connectTimeoutMS: config.DATABASE_CONNECT_TIMEOUT_MS,
    extra: {
      // A server-side bound on every statement, and a client-side one for a server that stopped answering.
      statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
      query_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS + 1_000,
      idle_in_transaction_session_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS * 2,
      keepAlive: true,
      onConnect: keepClientErrorsHandled,
    },
  };
}

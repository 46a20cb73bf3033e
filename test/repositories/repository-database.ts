import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKey } from 'src/api-keys/api-key.entity';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { AuditEvent } from 'src/audit/audit-event.entity';
import { AuditRepository } from 'src/audit/audit.repository';
import { CallbacksRepository } from 'src/callbacks/callbacks.repository';
import { ConsumedCallbackToken } from 'src/callbacks/consumed-callback-token.entity';
import { AppConfig, loadConfig, SETTINGS } from 'src/config/app-config';
import { Database } from 'src/database/database';
import { DatabaseSettings } from 'src/database/database.settings';
import { dataSourceOptions } from 'src/database/data-source-options';
import { embeddedPostgresDriver } from 'src/database/embedded-pool';
import { GvpDeviceLink } from 'src/gvp/device-link.entity';
import { GvpRepository } from 'src/gvp/gvp.repository';
import { Session } from 'src/sessions/session.entity';
import { SessionsRepository } from 'src/sessions/sessions.repository';
import { PersonalDataCipher } from 'src/users/personal-data';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { AuraUser } from 'src/users/user.entity';
import { UserSealing } from 'src/users/user-sealing';
import { UsersRepository } from 'src/users/users.repository';
import { UsersSettings } from 'src/users/users.settings';
import { TEST_DATABASE_URL, databaseUrl, withAdminClient } from '../support/postgres';
import { REPOSITORY_TEMPLATE_ENV, REPOSITORY_TEST_ENV } from './repository-env';

/** The repositories, on a fresh migrated database of their own, without the application around them. */
export interface Repositories {
  config: AppConfig;
  dataSource: DataSource;
  database: Database;
  apiKeys: ApiKeysRepository;
  audit: AuditRepository;
  callbacks: CallbacksRepository;
  gvp: GvpRepository;
  sessions: SessionsRepository;
  users: UsersRepository;
  sealing: UserSealing;
  /** Runs SQL on the database, to arrange a state (an expired record) or to check one. */
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * A fresh database migrated by TypeORM (the app's data source options and migrations): by default the embedded
 * PGlite, a copy of the one the global setup migrated (or, without it, a new one in memory); with
 * TEST_DATABASE_URL, a throw-away PostgreSQL database. Dropped at `close()`. The repositories come from a small
 * Nest testing module (TypeOrmModule.forRoot/forFeature), as the app builds them.
 */
export async function openRepositories(env: Record<string, string> = {}): Promise<Repositories> {
  let name: string | undefined;
  if (TEST_DATABASE_URL !== undefined) {
    name = `aura_repo_${process.pid}_${randomBytes(4).toString('hex')}`;
    await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  }
  const config = loadConfig({
    ...REPOSITORY_TEST_ENV,
    ...(name === undefined ? {} : { DATABASE_URL: databaseUrl(TEST_DATABASE_URL as string, name) }),
    ...env,
  });
  const options = dataSourceOptions(config.get(DatabaseSettings));
  const template = process.env[REPOSITORY_TEMPLATE_ENV];
  const drop = async () => {
    if (name !== undefined) {
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  };
  const providers: Provider[] = [
    ...SETTINGS.map((type) => ({ provide: type, useValue: config.get<object>(type) })),
    { provide: PersonalDataCipher, useValue: new PersonalDataCipher(config.get(UsersSettings)) },
    PhoneNumbers,
    UserSealing,
    Database,
    ApiKeysRepository,
    AuditRepository,
    CallbacksRepository,
    GvpRepository,
    SessionsRepository,
    UsersRepository,
  ];
  let module: TestingModule | undefined;
  try {
    module = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          ...options,
          // In memory, from the migrated dump when there is one (then no migration is left to run).
          ...(name === undefined && template !== undefined
            ? { driver: embeddedPostgresDriver({ loadDataDir: new Blob([readFileSync(template)]) }) }
            : {}),
          migrationsRun: true,
          retryAttempts: 0,
        }),
        TypeOrmModule.forFeature([ApiKey, AuditEvent, ConsumedCallbackToken, GvpDeviceLink, Session, AuraUser]),
      ],
      providers,
    }).compile();
  } catch (error) {
    await drop();
    throw error;
  }
  const opened = module;
  const dataSource = opened.get(DataSource);
  return {
    config,
    dataSource,
    database: opened.get(Database),
    apiKeys: opened.get(ApiKeysRepository),
    audit: opened.get(AuditRepository),
    callbacks: opened.get(CallbacksRepository),
    gvp: opened.get(GvpRepository),
    sessions: opened.get(SessionsRepository),
    users: opened.get(UsersRepository),
    sealing: opened.get(UserSealing),
    query: (sql, parameters) => dataSource.query(sql, parameters),
    close: async () => {
      await opened.close();
      await drop();
    },
  };
}

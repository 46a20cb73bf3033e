import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { EnvBoolean, EnvInt } from 'src/config/env';

/**
 * The database: PostgreSQL (DATABASE_URL) or the embedded one in DATA_DIR, which also holds the development keys.
 */
export class DatabaseSettings implements Settings {
  /** (secret) PostgreSQL URL. Unset: embedded PostgreSQL (PGlite) in DATA_DIR — development only. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string = undefined;

  /** Folder of the embedded database and development keys; `memory://` keeps everything in memory. */
  @IsString()
  @Length(1, 4096)
  DATA_DIR = './data';

  /** Connections in the pool of each replica. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_MAX = 10;

  /** Longest wait for a connection from the pool or a new one, in ms. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  DATABASE_CONNECT_TIMEOUT_MS = 2_000;

  /** Server-side limit for any single SQL statement, in ms. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 5_000;

  /** Apply pending migrations at start. Default: only with the embedded database (in a cluster a Helm hook Job runs them). */
  @IsOptional()
  @EnvBoolean()
  @IsBoolean()
  DATABASE_MIGRATIONS_RUN?: boolean = undefined;

  /** No DATABASE_URL: the embedded PostgreSQL is used. */
  get isEmbeddedDatabase(): boolean {
    return this.DATABASE_URL === undefined;
  }

  get runMigrationsAtStart(): boolean {
    return this.DATABASE_MIGRATIONS_RUN ?? this.isEmbeddedDatabase;
  }

  problems(settings: SettingsLookup): string[] {
    if (settings(ServerSettings).isProduction && this.isEmbeddedDatabase) {
      return ['DATABASE_URL: is required in production (the embedded database is for development only)'];
    }
    return [];
  }
}

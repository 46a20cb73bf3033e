import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { EnvBoolean, EnvInt } from 'src/config/env';

/**
 * API keys: their environment tag, where they are read from, how long a verified one is trusted.
 */
export class ApiKeysSettings implements Settings {
  /** Environment tag inside every API key (aak_<tag>_…); keys of another environment are rejected. */
  @Matches(/^[a-z0-9]{2,8}$/, { message: 'APIKEY_ENVIRONMENT must be 2-8 lowercase letters or digits' })
  APIKEY_ENVIRONMENT = 'dev';

  /** Accept `?apiKey=` in the query string (never logged). Off by default: query strings end up in proxies' logs. */
  @EnvBoolean()
  @IsBoolean()
  APIKEY_QUERY_PARAM_ENABLED = false;

  /** How long a verified key is trusted without reading the database; bounds how late a revocation takes effect. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(3600)
  APIKEY_CACHE_TTL_SECONDS = 30;

  /**
   * While this replica is not listening for invalidations (its listening connection dropped), a verified key
   * is trusted for at most this many seconds (capped by APIKEY_CACHE_TTL_SECONDS). See docs/revocation.md.
   */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(60)
  INVALIDATION_FALLBACK_TTL_SECONDS = 2;

  /** How often each replica re-reads the set of key ids it accepts, in seconds (notifications keep it fresh between). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(3600)
  APIKEY_ID_REFRESH_SECONDS = 60;

  problems(settings: SettingsLookup): string[] {
    if (settings(ServerSettings).isProduction && this.APIKEY_ENVIRONMENT === 'dev') {
      return ['APIKEY_ENVIRONMENT: the development tag "dev" is refused in production (e.g. pro, pre)'];
    }
    return [];
  }
}

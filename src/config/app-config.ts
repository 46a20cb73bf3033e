import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ApiKeysSettings } from 'src/api-keys/api-keys.settings';
import { AuditSettings } from 'src/audit/audit.settings';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { ClientConfigSettings } from 'src/client-settings/client-settings.settings';
import { MetricsSettings } from 'src/common/metrics/metrics.settings';
import { ConfigError } from 'src/config/config-error';
import { ServerSettings } from 'src/config/server.settings';
import type { Settings, SettingsClass } from 'src/config/settings';
import { DatabaseSettings } from 'src/database/database.settings';
import { DirectLineSettings } from 'src/directline/directline.settings';
import { GvpSettings } from 'src/gvp/gvp.settings';
import { HealthSettings } from 'src/health/health.settings';
import { KernelSettings } from 'src/kernel/kernel.settings';
import { OpenIdSettings } from 'src/openid/openid.settings';
import { RateLimitSettings } from 'src/rate-limit/rate-limit.settings';
import { SessionsSettings } from 'src/sessions/sessions.settings';
import { UsersSettings } from 'src/users/users.settings';

/**
 * The settings of every feature, each declared by its feature (`src/<feature>/<feature>.settings.ts`), in the
 * order of the README's configuration table (`npm run docs:config` reads this list).
 */
export const SETTINGS = [
  ServerSettings,
  HealthSettings,
  DatabaseSettings,
  ApiKeysSettings,
  RateLimitSettings,
  UsersSettings,
  AuditSettings,
  CallbacksSettings,
  SessionsSettings,
  DirectLineSettings,
  GvpSettings,
  KernelSettings,
  OpenIdSettings,
  ClientConfigSettings,
  MetricsSettings,
] as const satisfies readonly SettingsClass[];

/**
 * The whole configuration, for what assembles the service (boot, CLI, tests). Features never see it: each is
 * given its own settings class (ConfigModule provides every class of SETTINGS as its own token).
 */
export class AppConfig {
  constructor(private readonly loaded: ReadonlyMap<SettingsClass, object>) {}

  get<S extends object>(type: SettingsClass<S>): S {
    const settings = this.loaded.get(type);
    if (settings === undefined) {
      throw new Error(`${type.name} is not in SETTINGS (src/config/app-config.ts)`);
    }
    return settings as S;
  }
}

/**
 * Reads and validates every feature's settings. Throws one ConfigError naming every offending variable (never
 * its value: it may be a secret); the checks between variables run once each variable is valid on its own.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const loaded = new Map<SettingsClass, object>();
  const problems: string[] = [];
  for (const type of SETTINGS) {
    const settings = readSettings(type, env);
    problems.push(
      ...validateSync(settings, { forbidUnknownValues: true }).map(
        (error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`,
      ),
    );
    loaded.set(type, settings);
  }
  const config = new AppConfig(loaded);
  if (problems.length === 0) {
    const lookup = <S extends object>(type: SettingsClass<S>): S => config.get(type);
    for (const settings of loaded.values()) {
      problems.push(...((settings as Settings).problems?.(lookup) ?? []));
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return config;
}

/** One class's variables from the environment; empty values count as unset (a blank line in a ConfigMap must not override a default). */
function readSettings(type: SettingsClass, env: NodeJS.ProcessEnv): object {
  const present: Record<string, string> = {};
  for (const name of Object.keys(new type())) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      present[name] = value;
    }
  }
  return plainToInstance(type, present);
}

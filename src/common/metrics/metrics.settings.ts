import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { EnvBoolean, EnvInt } from 'src/config/env';

/**
 * The Prometheus metrics: GET /metrics, and its optional keyless listener.
 */
export class MetricsSettings implements Settings {
  /** Serve GET /metrics (to any valid API key of the environment: the public tier). */
  @EnvBoolean()
  @IsBoolean()
  METRICS_ENABLED = true;

  /** Also serve GET /metrics without an API key on this port (keep it out of the Service and Ingress); unset: off. */
  @IsOptional()
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(65535)
  // Initialised so that it is an own key of every build (loadConfig lists the variables from an instance).
  METRICS_PORT?: number = undefined;

  problems(settings: SettingsLookup): string[] {
    const problems: string[] = [];
    if (this.METRICS_PORT !== undefined && this.METRICS_PORT === settings(ServerSettings).PORT) {
      problems.push('METRICS_PORT: must differ from PORT (the keyless metrics listener is a separate port)');
    }
    if (this.METRICS_PORT !== undefined && !this.METRICS_ENABLED) {
      problems.push('METRICS_PORT: set while METRICS_ENABLED=false; unset one of them');
    }
    return problems;
  }
}

import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { EnvInt } from 'src/config/env';

/**
 * Rate limits per API key and per client address, and where their counters live.
 */
export class RateLimitSettings {
  /** Failed authentications (401) allowed per client address per RATE_LIMIT_TTL_SECONDS window; beyond, 429. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  AUTH_FAILURE_LIMIT = 60;

  /** Rate-limit window per API key, in seconds. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(3600)
  RATE_LIMIT_TTL_SECONDS = 60;

  /** Requests allowed per API key per window. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  RATE_LIMIT_LIMIT = 6_000;

  /**
   * Requests allowed per client address under one public key per window, so one abusive holder of a channel
   * key is limited alone. Default: a tenth of RATE_LIMIT_LIMIT, at least 100 (never more than RATE_LIMIT_LIMIT).
   */
  @IsOptional()
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  RATE_LIMIT_CLIENT_LIMIT?: number;

  /** (secret) Redis URL; when set, rate-limit counters are shared between replicas. */
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string = undefined;

  /** RATE_LIMIT_CLIENT_LIMIT, or its default. */
  get rateLimitClientLimit(): number {
    return (
      this.RATE_LIMIT_CLIENT_LIMIT ??
      Math.min(this.RATE_LIMIT_LIMIT, Math.max(100, Math.ceil(this.RATE_LIMIT_LIMIT / 10)))
    );
  }
}

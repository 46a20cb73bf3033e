import { IsInt, IsOptional, IsString, IsUrl, Length, Max, Min } from 'class-validator';
import { EnvInt } from 'src/config/env';

/**
 * The Kernel client (GVP sign-in's upstream): its endpoints, this service's credentials, and how a call is bounded and retried.
 */
export class KernelSettings {
  /** Kernel's OAuth token endpoint (JWT-bearer grant); required when GVP sign-in is configured. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  KERNEL_TOKEN_URL?: string;

  /** Kernel's user profile endpoint, called with the access token; required when GVP sign-in is configured. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  KERNEL_USERPROFILE_URL?: string;

  /** `aud` of the JWT-bearer assertion. Unset: KERNEL_TOKEN_URL. */
  @IsOptional()
  @IsString()
  @Length(1, 512)
  KERNEL_AUDIENCE?: string;

  /** OAuth client id of this service at Kernel (Basic client authentication and the assertion's `iss`). */
  @IsOptional()
  @IsString()
  @Length(1, 256)
  KERNEL_CLIENT_ID?: string;

  /** (secret) OAuth client secret of this service at Kernel. */
  @IsOptional()
  @IsString()
  @Length(1, 512)
  KERNEL_CLIENT_SECRET?: string;

  /** Scopes asked for in the JWT-bearer grant, space-separated. */
  @IsString()
  @Length(1, 1024)
  KERNEL_SCOPES = 'userprofile-read';

  /** Purposes sent with the grant (`purpose`), space-separated; unset: none sent. */
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  KERNEL_PURPOSES?: string;

  /** Per-attempt timeout of a Kernel call, in ms. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  KERNEL_TIMEOUT_MS = 2_000;

  /** Overall deadline of one Kernel sign-in (token and profile, retries included), in ms. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(120_000)
  KERNEL_DEADLINE_MS = 6_000;

  /** Retries of a failed Kernel call (connection errors, timeouts, 5xx, 429), within the deadline. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(10)
  KERNEL_MAX_RETRIES = 2;

  /** First delay of the jittered exponential backoff between Kernel attempts, in ms. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000)
  KERNEL_RETRY_INITIAL_DELAY_MS = 100;

  /** Consecutive failed Kernel attempts that open its circuit breaker (sign-ins then fail fast with 320). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  KERNEL_BREAKER_THRESHOLD = 5;

  /** How long Kernel's open circuit breaker fails fast before it lets one probe through, in ms. */
  @EnvInt()
  @IsInt()
  @Min(50)
  @Max(600_000)
  KERNEL_BREAKER_HALF_OPEN_AFTER_MS = 10_000;
}

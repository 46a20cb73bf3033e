import { IsInt, IsOptional, IsString, IsUrl, Length, Matches, Max, Min } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import { EnvInt, isTlsOrLoopback } from 'src/config/env';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { KernelSettings } from 'src/kernel/kernel.settings';

/**
 * GVP device sign-in (docs/gvp.md): the device-token keys and claims, and its limits. Kernel is its upstream.
 */
export class GvpSettings implements Settings {
  /** URL of GVP's JWKS (device-token keys), cached and refetched on an unknown kid; set this or GVP_JWKS. Neither: the /gvp routes answer 503. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  GVP_JWKS_URL?: string;

  /** GVP's JWKS inline, as JSON (`{"keys":[…]}`); set this or GVP_JWKS_URL. */
  @IsOptional()
  @IsString()
  @Length(2, 100_000)
  GVP_JWKS?: string;

  /** Shortest interval between two fetches of GVP_JWKS_URL (an unknown kid refetches at most this often), in seconds. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(3600)
  GVP_JWKS_MIN_REFRESH_SECONDS = 30;

  /** Expected `iss` of device tokens; required when GVP sign-in is configured. */
  @IsOptional()
  @IsString()
  @Length(1, 512)
  GVP_ISSUER?: string;

  /** Expected `aud` of device tokens; required when GVP sign-in is configured. */
  @IsOptional()
  @IsString()
  @Length(1, 512)
  GVP_AUDIENCE?: string;

  /** Claim of the device token holding the DeviceId. */
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, {
    message: 'GVP_DEVICE_CLAIM must be a claim name (1-64 letters, digits, _ . : -)',
  })
  GVP_DEVICE_CLAIM = 'deviceId';

  /** Clock skew tolerated on the device token's exp/nbf/iat (an iat further ahead is refused), in seconds (at most 60). */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(60)
  GVP_CLOCK_SKEW_SECONDS = 30;

  /**
   * Longest lifetime of a device token (exp - iat, or exp - now without iat), in seconds; a longer one is refused
   * (30): a token that never expires is a leaked credential that never expires.
   */
  @EnvInt()
  @IsInt()
  @Min(60)
  @Max(30 * 86_400)
  GVP_TOKEN_MAX_LIFETIME_SECONDS = 86_400;

  /**
   * How long a subscriber Kernel does not know (321) is remembered, in seconds, per replica: meanwhile its sign-ins
   * are answered 321 without asking Kernel again. 0 turns the memory off.
   */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  GVP_UNKNOWN_SUBSCRIBER_TTL_SECONDS = 300;

  /**
   * First sign-ins (those that go to Kernel) allowed per device in GVP_FIRST_SIGN_IN_WINDOW_SECONDS; past it the
   * device is answered 371 RateLimited until the window ends. Counted in the rate-limit storage (Redis when set).
   */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  GVP_FIRST_SIGN_IN_LIMIT = 5;

  /** Window of GVP_FIRST_SIGN_IN_LIMIT, in seconds. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(86_400)
  GVP_FIRST_SIGN_IN_WINDOW_SECONDS = 3600;

  /** Channel of GVP sign-ins when the API key is not bound to one. */
  @Matches(/^[a-z0-9_-]{1,64}$/, { message: 'GVP_CHANNEL must be 1-64 lowercase letters, digits, _ or -' })
  GVP_CHANNEL = 'tv';

  /** GVP device sign-in is configured: any of its device-token settings is set (then all it needs must be). */
  get isGvpConfigured(): boolean {
    return [this.GVP_JWKS_URL, this.GVP_JWKS, this.GVP_ISSUER, this.GVP_AUDIENCE].some((value) => value !== undefined);
  }

  /** GVP sign-in is all or nothing: once device-token keys are given, everything it needs must be. */
  problems(settings: SettingsLookup): string[] {
    const problems: string[] = [];
    if (this.GVP_JWKS_URL !== undefined && this.GVP_JWKS !== undefined) {
      problems.push('GVP_JWKS: set either GVP_JWKS_URL or GVP_JWKS, not both');
    }
    if (this.GVP_JWKS !== undefined && !isJwks(this.GVP_JWKS)) {
      problems.push('GVP_JWKS: must be a JSON Web Key Set such as {"keys":[{"kty":"EC",…}]}');
    }
    if (!this.isGvpConfigured) {
      return problems;
    }
    const server = settings(ServerSettings);
    const kernel = settings(KernelSettings);
    const required = {
      GVP_ISSUER: this.GVP_ISSUER,
      GVP_AUDIENCE: this.GVP_AUDIENCE,
      KERNEL_TOKEN_URL: kernel.KERNEL_TOKEN_URL,
      KERNEL_USERPROFILE_URL: kernel.KERNEL_USERPROFILE_URL,
      KERNEL_CLIENT_ID: kernel.KERNEL_CLIENT_ID,
      KERNEL_CLIENT_SECRET: kernel.KERNEL_CLIENT_SECRET,
    };
    if (this.GVP_JWKS_URL === undefined && this.GVP_JWKS === undefined) {
      problems.push('GVP_JWKS_URL: GVP sign-in needs the device-token keys (GVP_JWKS_URL or GVP_JWKS)');
    }
    for (const [name, value] of Object.entries(required)) {
      if (value === undefined) {
        problems.push(`${name}: is required when GVP sign-in is configured (a GVP_* device-token setting is set)`);
      }
    }
    if (kernel.KERNEL_DEADLINE_MS >= server.SHUTDOWN_TIMEOUT_MS) {
      problems.push(
        `SHUTDOWN_TIMEOUT_MS: must be longer than KERNEL_DEADLINE_MS (${kernel.KERNEL_DEADLINE_MS}), ` +
          'or sign-ins in flight at shutdown are cut off',
      );
    }
    if (server.isProduction) {
      const urls = {
        GVP_JWKS_URL: this.GVP_JWKS_URL,
        KERNEL_TOKEN_URL: kernel.KERNEL_TOKEN_URL,
        KERNEL_USERPROFILE_URL: kernel.KERNEL_USERPROFILE_URL,
      };
      for (const [name, url] of Object.entries(urls)) {
        if (url !== undefined && !isTlsOrLoopback(url)) {
          problems.push(`${name}: must be an https:// URL in production (plain http only to a loopback host)`);
        }
      }
    }
    return problems;
  }
}

function isJwks(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { keys?: unknown };
    return Array.isArray(parsed.keys) && parsed.keys.length > 0;
  } catch {
    return false;
  }
}

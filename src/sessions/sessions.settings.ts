import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import { EnvBoolean, EnvInt, isTlsOrLoopback, splitList } from 'src/config/env';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';

/**
 * Browser sessions (docs/sessions.md): audiences, lifetimes, cookies, and the origins admitted by CORS.
 */
export class SessionsSettings implements Settings {
  /** Audiences a session may be refreshed for, comma-separated; the first is the default of a new session. */
  @Matches(/^\s*[a-z][a-z0-9_-]{0,31}\s*(,\s*[a-z][a-z0-9_-]{0,31}\s*)*$/, {
    message: 'SESSION_AUDIENCES must be comma-separated names such as app,admin (lowercase, 1-32 characters)',
  })
  SESSION_AUDIENCES = 'app';

  /** Lifetime of the access token (the `authara_access` cookie), in seconds. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(3600)
  SESSION_ACCESS_TTL_SECONDS = 600;

  /** A session not refreshed for this long ends (idle timeout), in seconds. */
  @EnvInt()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  SESSION_IDLE_TIMEOUT_SECONDS = 86_400;

  /** A session ends this long after it was opened, however active (absolute lifetime), in seconds. */
  @EnvInt()
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  SESSION_ABSOLUTE_LIFETIME_SECONDS = 2_592_000;

  /** How long the refresh token just rotated away still mints an access token (two tabs refreshing at once), in seconds. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(120)
  SESSION_REFRESH_GRACE_SECONDS = 10;

  /** Mark the session cookies Secure. Default: on in production only (plain-http development and tests need it off). */
  @IsOptional()
  @EnvBoolean()
  @IsBoolean()
  SESSION_COOKIE_SECURE?: boolean;

  /** Domain of the session cookies for pages on sibling subdomains, e.g. `.example.com` (must contain PUBLIC_BASE_URL's host). Unset: host-only cookies. */
  @IsOptional()
  @IsString()
  @Matches(/^\.?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, {
    message: 'SESSION_COOKIE_DOMAIN must be a lowercase domain of at least two labels, such as .example.com',
  })
  SESSION_COOKIE_DOMAIN?: string = undefined;

  /** `required`: a login callback opens a session only if its sealed `state` matches the login-state cookie; `optional`: also without a `state`. Default: required in production. */
  @IsOptional()
  @IsIn(['required', 'optional'])
  SESSION_LOGIN_BINDING?: 'required' | 'optional' = undefined;

  /** How often each replica deletes ended sessions, in seconds; 0 turns the sweep off. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  SESSION_SWEEP_INTERVAL_SECONDS = 3600;

  /** Origins whose pages may call the session API, /token, /token/wss and /config with credentials (CORS), comma-separated. Unset: CALLBACK_REDIRECT_ALLOWLIST. */
  @IsOptional()
  @IsString()
  @Length(0, 4096)
  @Matches(/^\s*https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*$/, {
    message: 'CORS_ALLOWED_ORIGINS must be comma-separated origins such as https://web.example.com',
  })
  CORS_ALLOWED_ORIGINS?: string;

  /** Audiences a session may carry; the first is the default. */
  get sessionAudiences(): string[] {
    return splitList(this.SESSION_AUDIENCES);
  }

  /** SESSION_COOKIE_DOMAIN without its optional leading dot (browsers ignore it), or undefined for host-only cookies. */
  get sessionCookieDomain(): string | undefined {
    return this.SESSION_COOKIE_DOMAIN?.replace(/^\./, '');
  }

  /** Whether the session cookies are Secure: SESSION_COOKIE_SECURE, else in production only. */
  sessionCookieSecure(server: ServerSettings): boolean {
    return this.SESSION_COOKIE_SECURE ?? server.isProduction;
  }

  /** Whether a login must be bound to the browser by a login state (SESSION_LOGIN_BINDING, required in production). */
  sessionLoginBindingRequired(server: ServerSettings): boolean {
    return (this.SESSION_LOGIN_BINDING ?? (server.isProduction ? 'required' : 'optional')) === 'required';
  }

  /** Origins admitted by CORS (credentials allowed): CORS_ALLOWED_ORIGINS, else the callback redirect allow-list. */
  corsAllowedOrigins(callbacks: CallbacksSettings): string[] {
    return splitList(this.CORS_ALLOWED_ORIGINS ?? callbacks.CALLBACK_REDIRECT_ALLOWLIST ?? '').map(
      (origin) => new URL(origin).origin,
    );
  }

  problems(settings: SettingsLookup): string[] {
    const problems: string[] = [];
    const server = settings(ServerSettings);
    const cookieDomain = this.sessionCookieDomain;
    const serviceHost = new URL(server.PUBLIC_BASE_URL).hostname;
    // A browser drops a cookie whose Domain does not contain the host that set it: every login would fail.
    if (cookieDomain !== undefined && serviceHost !== cookieDomain && !serviceHost.endsWith(`.${cookieDomain}`)) {
      problems.push('SESSION_COOKIE_DOMAIN: must contain the host of PUBLIC_BASE_URL (the host that sets the cookies)');
    }
    if (this.SESSION_IDLE_TIMEOUT_SECONDS > this.SESSION_ABSOLUTE_LIFETIME_SECONDS) {
      problems.push('SESSION_IDLE_TIMEOUT_SECONDS: must not be longer than SESSION_ABSOLUTE_LIFETIME_SECONDS');
    }
    if (
      server.isProduction &&
      this.corsAllowedOrigins(settings(CallbacksSettings)).some((origin) => !isTlsOrLoopback(origin))
    ) {
      problems.push(
        'CORS_ALLOWED_ORIGINS: must be https:// origins in production (plain http only on a loopback host)',
      );
    }
    return problems;
  }
}

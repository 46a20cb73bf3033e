import { IsInt, IsOptional, IsString, IsUrl, Length, Matches, Max, Min } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import { EnvInt, isTlsOrLoopback } from 'src/config/env';
import type { Settings, SettingsLookup } from 'src/config/settings';

/**
 * The Direct Line client: the bot secret, where Direct Line is, and how a call is bounded and retried.
 */
export class DirectLineSettings implements Settings {
  /** (secret) Direct Line secret of the bot. Unset: the token endpoints answer 503. */
  @IsOptional()
  @IsString()
  @Length(1, 512)
  DIRECTLINE_SECRET?: string = undefined;

  /** Direct Line base URL: global, or a regional one such as https://europe.directline.botframework.com. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  DIRECTLINE_BASE_URL = 'https://directline.botframework.com';

  /** Per-attempt timeout of a Direct Line call, in ms. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  DIRECTLINE_TIMEOUT_MS = 3_000;

  /** Overall deadline of a Direct Line call including retries, in ms. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(120_000)
  DIRECTLINE_DEADLINE_MS = 8_000;

  /** Trusted origins passed to Direct Line with each token (enhanced authentication), comma-separated. */
  @IsOptional()
  @IsString()
  @Length(0, 4096)
  @Matches(/^\s*https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*$/, {
    message: 'DIRECTLINE_TRUSTED_ORIGINS must be comma-separated origins such as https://web.example.com',
  })
  DIRECTLINE_TRUSTED_ORIGINS?: string = undefined;

  /** Retries of a failed Direct Line call (connection errors, timeouts, 5xx, 429), within the deadline. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(10)
  DIRECTLINE_MAX_RETRIES = 2;

  /** First delay of the jittered exponential backoff between Direct Line attempts, in ms. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000)
  DIRECTLINE_RETRY_INITIAL_DELAY_MS = 100;

  /** Consecutive failed Direct Line attempts that open the circuit breaker (calls then fail fast with 503). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  DIRECTLINE_BREAKER_THRESHOLD = 5;

  /** How long the open circuit breaker fails fast before it lets one probe call through, in ms. */
  @EnvInt()
  @IsInt()
  @Min(50)
  @Max(600_000)
  DIRECTLINE_BREAKER_HALF_OPEN_AFTER_MS = 10_000;

  problems(settings: SettingsLookup): string[] {
    const problems: string[] = [];
    const server = settings(ServerSettings);
    // A token call still waiting on Direct Line at SIGTERM must end (by its deadline) before the drain does.
    if (this.DIRECTLINE_DEADLINE_MS >= server.SHUTDOWN_TIMEOUT_MS) {
      problems.push(
        `SHUTDOWN_TIMEOUT_MS: must be longer than DIRECTLINE_DEADLINE_MS (${this.DIRECTLINE_DEADLINE_MS}), ` +
          'or token calls in flight at shutdown are cut off',
      );
    }
    // An idle socket while the handler waits on Direct Line or a request still arriving must not be cut first.
    const longest = Math.max(this.DIRECTLINE_DEADLINE_MS, server.HTTP_REQUEST_TIMEOUT_MS);
    if (server.HTTP_CONNECTION_TIMEOUT_MS !== 0 && server.HTTP_CONNECTION_TIMEOUT_MS <= longest) {
      problems.push(
        `HTTP_CONNECTION_TIMEOUT_MS: must be 0 or longer than DIRECTLINE_DEADLINE_MS and HTTP_REQUEST_TIMEOUT_MS (${longest})`,
      );
    }
    if (server.isProduction && !isTlsOrLoopback(this.DIRECTLINE_BASE_URL)) {
      problems.push('DIRECTLINE_BASE_URL: must be an https:// URL in production (plain http only to a loopback host)');
    }
    return problems;
  }
}

import { IsEnum, IsIn, IsInt, IsString, IsUrl, Length, Max, Min } from 'class-validator';
import type { Settings } from 'src/config/settings';
import { EnvInt } from 'src/config/env';

export enum NodeEnv {
  Development = 'development',
  Test = 'test',
  Production = 'production',
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The HTTP server and the process: every feature may read them (NODE_ENV through `isProduction`).
 */
export class ServerSettings implements Settings {
  /** development | test | production. Production refuses development secrets and the embedded database. */
  @IsEnum(NodeEnv)
  NODE_ENV: NodeEnv = NodeEnv.Development;

  /** TCP port the HTTP server listens on. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** Interface the HTTP server binds to. */
  @IsString()
  @Length(1, 255)
  HOST = '0.0.0.0';

  /** Minimum level of the JSON log lines. */
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Largest request body accepted, in bytes; larger bodies get 413. */
  @EnvInt()
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(120_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /**
   * Reverse proxies in front of the service (ingress = 1). The client address is the entry this many hops from
   * the right of X-Forwarded-For; entries further left (client-supplied) are ignored. 0: the peer address.
   */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(10)
  TRUST_PROXY_HOPS = 0;

  /** Longest time a client may take to send a whole request (headers and body), in ms; then 408 and the socket is closed. */
  @EnvInt()
  @IsInt()
  @Min(500)
  @Max(120_000)
  HTTP_REQUEST_TIMEOUT_MS = 5_000;

  /** Longest inactivity on a socket while a request is open, in ms; 0 turns it off. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(600_000)
  HTTP_CONNECTION_TIMEOUT_MS = 30_000;

  /** How long an idle keep-alive connection stays open, in ms; longer than the load balancer's idle timeout. */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;

  /** External base URL of the service; the OpenID issuer is <PUBLIC_BASE_URL>/openid/issuer. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_BASE_URL = 'http://localhost:3000';

  get isProduction(): boolean {
    return this.NODE_ENV === NodeEnv.Production;
  }

  problems(): string[] {
    const problems: string[] = [];
    // A request still arriving at SIGTERM must be cut (408) before the drain gives up on it.
    if (this.HTTP_REQUEST_TIMEOUT_MS >= this.SHUTDOWN_TIMEOUT_MS) {
      problems.push(
        `HTTP_REQUEST_TIMEOUT_MS: must be shorter than SHUTDOWN_TIMEOUT_MS (${this.SHUTDOWN_TIMEOUT_MS}), ` +
          'or a slow request outlives the shutdown drain',
      );
    }
    if (this.isProduction && new URL(this.PUBLIC_BASE_URL).protocol !== 'https:') {
      problems.push(
        'PUBLIC_BASE_URL: must be the external https:// URL of the service in production (the OpenID issuer)',
      );
    }
    return problems;
  }
}

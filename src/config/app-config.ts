import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { weakKeyBytes, weakTextSecret } from 'src/config/secret-strength';

export enum NodeEnv {
  Development = 'development',
  Test = 'test',
  Production = 'production',
}

/** Values that exist only so the service runs out of the box; production refuses them. */
export const DEVELOPMENT_SECRETS = {
  AUDIT_HMAC_SECRET: 'development-only-audit-hmac-secret-change-me',
  CALLBACK_CIPHER_KEYS: 'dev:ZGV2ZWxvcG1lbnQtb25seS1jYWxsYmFjay1rZXkhISE',
  PII_KEYS: `dev:${Buffer.from('development-only-pii-sealing-key', 'utf8').toString('base64url')}`,
  PII_INDEX_KEY: Buffer.from('development-only-pii-index-key!!', 'utf8').toString('base64url'),
} as const;

/** `kid:base64key` pairs, comma-separated, each key 32 bytes in base64 or base64url. */
const KEY_RING = /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]{43,44}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_=-]{43,44})*$/;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Environment strings 'true'/'false' (any case); anything else is left for the validator to reject. */
const EnvBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') {
      return value;
    }
    const lowered = value.toLowerCase();
    return lowered === 'true' ? true : lowered === 'false' ? false : value;
  });

const EnvInt = () => Type(() => Number);

/**
 * Every setting of the service, read once from the environment and validated at boot.
 * The README's configuration table documents the same variables; defaults are inline.
 * Secrets are marked `(secret)`.
 */
export class AppConfig {
  // --- runtime -------------------------------------------------------------

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
   * Longest the event loop may have been blocked since the previous liveness probe before /healthz reports the
   * process unable to serve, in ms.
   */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(600_000)
  HEALTH_EVENT_LOOP_LIMIT_MS = 5_000;

  /** Heap size above which /healthz reports the process unhealthy, in MiB. */
  @EnvInt()
  @IsInt()
  @Min(64)
  @Max(16_384)
  HEALTH_HEAP_LIMIT_MB = 176;

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

  // --- database --------------------------------------------------------------

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

  // --- API keys and rate limits --------------------------------------------------

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

  // --- users -----------------------------------------------------------------

  /** Region used to read phone numbers written without an international prefix (ISO 3166 alpha-2). */
  @Matches(/^[A-Z]{2}$/, { message: 'PHONE_DEFAULT_REGION must be an ISO 3166-1 alpha-2 code such as ES' })
  PHONE_DEFAULT_REGION = 'ES';

  /**
   * Channel of a user created by an OTP login or by GET /users/aura-id/{auraId} that names none (no bound key,
   * request, record or context channel).
   */
  @Matches(/^[a-z0-9][a-z0-9._-]{0,63}$/, {
    message: 'DEFAULT_CHANNEL must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  DEFAULT_CHANNEL = 'whatsapp';

  /** Validity of a user record whose authentication context carries no expiry, in days. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  USER_TTL_DAYS = 30;

  /** How long expired user records are kept before the sweep deletes them, in days. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(3650)
  EXPIRED_USER_RETENTION_DAYS = 7;

  /** How often each replica deletes records expired for longer than EXPIRED_USER_RETENTION_DAYS, in seconds; 0 turns the sweep off. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  USER_SWEEP_INTERVAL_SECONDS = 3600;

  /** (secret) Key of the HMAC that hashes identifiers in audit rows. */
  @IsString()
  @Length(32, 512)
  AUDIT_HMAC_SECRET: string = DEVELOPMENT_SECRETS.AUDIT_HMAC_SECRET;

  /** (secret) Keys sealing phone numbers and authentication contexts at rest: `kid:base64key` pairs, comma-separated, 32-byte AES keys; the first one seals, every one opens (docs/pii.md). */
  @Matches(KEY_RING, { message: 'PII_KEYS must be comma-separated kid:base64key pairs with 32-byte keys' })
  PII_KEYS: string = DEVELOPMENT_SECRETS.PII_KEYS;

  /** (secret) 32-byte key (base64) of the blind index of phone numbers and of the pseudonymous identifiers (auraIdGlobal); never rotated (docs/pii.md). */
  @Matches(/^[A-Za-z0-9+/_=-]{43,44}$/, { message: 'PII_INDEX_KEY must be a 32-byte key in base64' })
  PII_INDEX_KEY: string = DEVELOPMENT_SECRETS.PII_INDEX_KEY;

  // --- Kernel callbacks ----------------------------------------------------------

  /** (secret) `kid:base64key` pairs, comma-separated, 32-byte AES keys; the first one seals. */
  @Matches(KEY_RING, {
    message: 'CALLBACK_CIPHER_KEYS must be comma-separated kid:base64key pairs with 32-byte keys',
  })
  CALLBACK_CIPHER_KEYS: string = DEVELOPMENT_SECRETS.CALLBACK_CIPHER_KEYS;

  /** Origins (scheme://host[:port]) a callback may redirect the browser to, comma-separated. */
  @IsOptional()
  @IsString()
  @Length(0, 4096)
  @Matches(/^\s*https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*$/, {
    message: 'CALLBACK_REDIRECT_ALLOWLIST must be comma-separated origins such as https://web.example.com',
  })
  CALLBACK_REDIRECT_ALLOWLIST?: string = undefined;

  // --- browser sessions (docs/sessions.md) ---------------------------------------------

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

  // --- Direct Line -----------------------------------------------------------------

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

  // --- GVP device sign-in and Kernel (docs/gvp.md) ----------------------------------

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

  // --- OpenID signing keys ---------------------------------------------------------

  /** External base URL of the service; the OpenID issuer is <PUBLIC_BASE_URL>/openid/issuer. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_BASE_URL = 'http://localhost:3000';

  /** (secret) Signing keys: a JSON array of entries (JWK or PEM, private or public-only, with kid/alg/state) or an RFC 7517 JWK Set. Unset outside production: a development key in DATA_DIR. */
  @IsOptional()
  @IsString()
  @Length(2, 1_000_000)
  OPENID_SIGNING_KEYS?: string = undefined;

  /** Path of a file holding the same JSON as OPENID_SIGNING_KEYS (a mounted Kubernetes Secret); set one or the other. */
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  OPENID_SIGNING_KEYS_FILE?: string = undefined;

  /** Cache-Control max-age of the JWKS and the discovery document, in seconds. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  JWKS_MAX_AGE_SECONDS = 300;

  // --- client configuration and metrics --------------------------------------------

  /** Name of the Azure Storage subdomain returned by GET /config. */
  @IsString()
  @Length(0, 255)
  AZURE_STORAGE_SUBDOMAIN = '';

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

  get isProduction(): boolean {
    return this.NODE_ENV === NodeEnv.Production;
  }

  /** No DATABASE_URL: the embedded PostgreSQL is used. */
  get isEmbeddedDatabase(): boolean {
    return this.DATABASE_URL === undefined;
  }

  /** Audiences a session may carry; the first is the default. */
  get sessionAudiences(): string[] {
    return splitList(this.SESSION_AUDIENCES);
  }

  get sessionCookieSecure(): boolean {
    return this.SESSION_COOKIE_SECURE ?? this.isProduction;
  }

  /** Whether a login must be bound to the browser by a login state (SESSION_LOGIN_BINDING, required in production). */
  get sessionLoginBindingRequired(): boolean {
    return (this.SESSION_LOGIN_BINDING ?? (this.isProduction ? 'required' : 'optional')) === 'required';
  }

  /** SESSION_COOKIE_DOMAIN without its optional leading dot (browsers ignore it), or undefined for host-only cookies. */
  get sessionCookieDomain(): string | undefined {
    return this.SESSION_COOKIE_DOMAIN?.replace(/^\./, '');
  }

  /** Origins admitted by CORS (credentials allowed): CORS_ALLOWED_ORIGINS, else the callback redirect allow-list. */
  get corsAllowedOrigins(): string[] {
    return splitList(this.CORS_ALLOWED_ORIGINS ?? this.CALLBACK_REDIRECT_ALLOWLIST ?? '').map(
      (origin) => new URL(origin).origin,
    );
  }

  /** GVP device sign-in is configured: any of its device-token settings is set (then all it needs must be). */
  get isGvpConfigured(): boolean {
    return [this.GVP_JWKS_URL, this.GVP_JWKS, this.GVP_ISSUER, this.GVP_AUDIENCE].some((value) => value !== undefined);
  }

  /** RATE_LIMIT_CLIENT_LIMIT, or its default. */
  get rateLimitClientLimit(): number {
    return (
      this.RATE_LIMIT_CLIENT_LIMIT ??
      Math.min(this.RATE_LIMIT_LIMIT, Math.max(100, Math.ceil(this.RATE_LIMIT_LIMIT / 10)))
    );
  }

  get runMigrationsAtStart(): boolean {
    return this.DATABASE_MIGRATIONS_RUN ?? this.isEmbeddedDatabase;
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the configuration. Throws a ConfigError naming every
 * offending variable (never its value: it may be a secret).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty values count as unset (a blank line in a ConfigMap must not override a default).
  const present: Record<string, string> = {};
  for (const name of Object.keys(new AppConfig())) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      present[name] = value;
    }
  }
  const config = plainToInstance(AppConfig, present);
  const problems = validateSync(config, { forbidUnknownValues: true }).map(
    (error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`,
  );
  if (config.OPENID_SIGNING_KEYS !== undefined && config.OPENID_SIGNING_KEYS_FILE !== undefined) {
    problems.push('OPENID_SIGNING_KEYS_FILE: set either OPENID_SIGNING_KEYS or OPENID_SIGNING_KEYS_FILE, not both');
  }
  if (problems.length === 0) {
    problems.push(...consistencyProblems(config), ...productionProblems(config));
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return config;
}

function productionProblems(config: AppConfig): string[] {
  if (!config.isProduction) {
    return [];
  }
  const problems: string[] = [];
  if (config.isEmbeddedDatabase) {
    problems.push('DATABASE_URL: is required in production (the embedded database is for development only)');
  }
  if (config.OPENID_SIGNING_KEYS === undefined && config.OPENID_SIGNING_KEYS_FILE === undefined) {
    problems.push('OPENID_SIGNING_KEYS: is required in production (or OPENID_SIGNING_KEYS_FILE)');
  }
  if (!isTlsOrLoopback(config.DIRECTLINE_BASE_URL)) {
    problems.push('DIRECTLINE_BASE_URL: must be an https:// URL in production (plain http only to a loopback host)');
  }
  if (new URL(config.PUBLIC_BASE_URL).protocol !== 'https:') {
    problems.push(
      'PUBLIC_BASE_URL: must be the external https:// URL of the service in production (the OpenID issuer)',
    );
  }
  if (config.corsAllowedOrigins.some((origin) => !isTlsOrLoopback(origin))) {
    problems.push('CORS_ALLOWED_ORIGINS: must be https:// origins in production (plain http only on a loopback host)');
  }
  if (config.APIKEY_ENVIRONMENT === 'dev') {
    problems.push('APIKEY_ENVIRONMENT: the development tag "dev" is refused in production (e.g. pro, pre)');
  }
  if (config.AUDIT_HMAC_SECRET === DEVELOPMENT_SECRETS.AUDIT_HMAC_SECRET) {
    problems.push('AUDIT_HMAC_SECRET: must be set in production (the development default is refused)');
  } else {
    const weakness = weakTextSecret(config.AUDIT_HMAC_SECRET);
    if (weakness !== undefined) {
      problems.push(`AUDIT_HMAC_SECRET: refused in production, the value ${weakness}`);
    }
  }
  problems.push(
    ...keyRingProblems('CALLBACK_CIPHER_KEYS', config.CALLBACK_CIPHER_KEYS, DEVELOPMENT_SECRETS.CALLBACK_CIPHER_KEYS),
    ...keyRingProblems('PII_KEYS', config.PII_KEYS, DEVELOPMENT_SECRETS.PII_KEYS),
    ...keyRingProblems('PII_INDEX_KEY', `index:${config.PII_INDEX_KEY}`, `dev:${DEVELOPMENT_SECRETS.PII_INDEX_KEY}`),
  );
  return problems;
}

/** The development key (under any kid), published and low-entropy keys of a key ring; named by kid only. */
function keyRingProblems(variable: string, keys: string, developmentKeys: string): string[] {
  const developmentKey = cipherKeyMaterial(developmentKeys)[0];
  const problems: string[] = [];
  const kids = keys.split(',').map((pair) => pair.trim().split(':')[0]);
  cipherKeyMaterial(keys).forEach((material, i) => {
    const which = variable.endsWith('KEYS') ? `key "${kids[i]}"` : 'the key';
    if (material === developmentKey) {
      problems.push(`${variable}: must be set in production (the development key is refused, under any key id)`);
      return;
    }
    const weakness = weakKeyBytes(Buffer.from(material, 'hex'));
    if (weakness !== undefined) {
      problems.push(`${variable}: refused in production, ${which} ${weakness}`);
    }
  });
  return problems;
}

/** Problems of any environment that one variable's own rules cannot see. */
function consistencyProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  for (const [variable, ring] of [
    ['CALLBACK_CIPHER_KEYS', config.CALLBACK_CIPHER_KEYS],
    ['PII_KEYS', config.PII_KEYS],
  ] as const) {
    const kids = ring.split(',').map((pair) => pair.trim().split(':')[0]);
    if (new Set(kids).size !== kids.length) {
      problems.push(`${variable}: a key id appears twice`);
    }
    if (cipherKeyMaterial(ring).some((material) => material.length !== 64)) {
      problems.push(`${variable}: every key must be 32 bytes`);
    }
  }
  if (cipherKeyMaterial(`index:${config.PII_INDEX_KEY}`)[0].length !== 64) {
    problems.push('PII_INDEX_KEY: must be 32 bytes');
  }
  const cookieDomain = config.sessionCookieDomain;
  const serviceHost = new URL(config.PUBLIC_BASE_URL).hostname;
  // A browser drops a cookie whose Domain does not contain the host that set it: every login would fail.
  if (cookieDomain !== undefined && serviceHost !== cookieDomain && !serviceHost.endsWith(`.${cookieDomain}`)) {
    problems.push('SESSION_COOKIE_DOMAIN: must contain the host of PUBLIC_BASE_URL (the host that sets the cookies)');
  }
  if (config.SESSION_IDLE_TIMEOUT_SECONDS > config.SESSION_ABSOLUTE_LIFETIME_SECONDS) {
    problems.push('SESSION_IDLE_TIMEOUT_SECONDS: must not be longer than SESSION_ABSOLUTE_LIFETIME_SECONDS');
  }
  if (config.METRICS_PORT !== undefined && config.METRICS_PORT === config.PORT) {
    problems.push('METRICS_PORT: must differ from PORT (the keyless metrics listener is a separate port)');
  }
  if (config.METRICS_PORT !== undefined && !config.METRICS_ENABLED) {
    problems.push('METRICS_PORT: set while METRICS_ENABLED=false; unset one of them');
  }
  // A token call still waiting on Direct Line at SIGTERM must end (by its deadline) before the drain does.
  if (config.DIRECTLINE_DEADLINE_MS >= config.SHUTDOWN_TIMEOUT_MS) {
    problems.push(
      `SHUTDOWN_TIMEOUT_MS: must be longer than DIRECTLINE_DEADLINE_MS (${config.DIRECTLINE_DEADLINE_MS}), ` +
        'or token calls in flight at shutdown are cut off',
    );
  }
  problems.push(...gvpProblems(config));
  problems.push(...httpTimeoutProblems(config));
  return problems;
}

/** The HTTP server's bounds must fit the shutdown drain and the longest handler. */
function httpTimeoutProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  // A request still arriving at SIGTERM must be cut (408) before the drain gives up on it.
  if (config.HTTP_REQUEST_TIMEOUT_MS >= config.SHUTDOWN_TIMEOUT_MS) {
    problems.push(
      `HTTP_REQUEST_TIMEOUT_MS: must be shorter than SHUTDOWN_TIMEOUT_MS (${config.SHUTDOWN_TIMEOUT_MS}), ` +
        'or a slow request outlives the shutdown drain',
    );
  }
  // An idle socket while the handler waits on Direct Line or a request still arriving must not be cut first.
  const longest = Math.max(config.DIRECTLINE_DEADLINE_MS, config.HTTP_REQUEST_TIMEOUT_MS);
  if (config.HTTP_CONNECTION_TIMEOUT_MS !== 0 && config.HTTP_CONNECTION_TIMEOUT_MS <= longest) {
    problems.push(
      `HTTP_CONNECTION_TIMEOUT_MS: must be 0 or longer than DIRECTLINE_DEADLINE_MS and HTTP_REQUEST_TIMEOUT_MS (${longest})`,
    );
  }
  return problems;
}

/** GVP sign-in is all or nothing: once device-token keys are given, everything it needs must be. */
function gvpProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  if (config.GVP_JWKS_URL !== undefined && config.GVP_JWKS !== undefined) {
    problems.push('GVP_JWKS: set either GVP_JWKS_URL or GVP_JWKS, not both');
  }
  if (config.GVP_JWKS !== undefined && !isJwks(config.GVP_JWKS)) {
    problems.push('GVP_JWKS: must be a JSON Web Key Set such as {"keys":[{"kty":"EC",…}]}');
  }
  if (!config.isGvpConfigured) {
    return problems;
  }
  const required = [
    'GVP_ISSUER',
    'GVP_AUDIENCE',
    'KERNEL_TOKEN_URL',
    'KERNEL_USERPROFILE_URL',
    'KERNEL_CLIENT_ID',
    'KERNEL_CLIENT_SECRET',
  ] as const;
  if (config.GVP_JWKS_URL === undefined && config.GVP_JWKS === undefined) {
    problems.push('GVP_JWKS_URL: GVP sign-in needs the device-token keys (GVP_JWKS_URL or GVP_JWKS)');
  }
  for (const name of required) {
    if (config[name] === undefined) {
      problems.push(`${name}: is required when GVP sign-in is configured (a GVP_* device-token setting is set)`);
    }
  }
  if (config.KERNEL_DEADLINE_MS >= config.SHUTDOWN_TIMEOUT_MS) {
    problems.push(
      `SHUTDOWN_TIMEOUT_MS: must be longer than KERNEL_DEADLINE_MS (${config.KERNEL_DEADLINE_MS}), ` +
        'or sign-ins in flight at shutdown are cut off',
    );
  }
  if (config.isProduction) {
    for (const name of ['GVP_JWKS_URL', 'KERNEL_TOKEN_URL', 'KERNEL_USERPROFILE_URL'] as const) {
      const url = config[name];
      if (url !== undefined && !isTlsOrLoopback(url)) {
        problems.push(`${name}: must be an https:// URL in production (plain http only to a loopback host)`);
      }
    }
  }
  return problems;
}

function isJwks(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { keys?: unknown };
    return Array.isArray(parsed.keys) && parsed.keys.length > 0;
  } catch {
    return false;
  }
}

/** The key material of a key ring, normalised (base64 or base64url) for comparison. */
function cipherKeyMaterial(keys: string): string[] {
  return keys.split(',').map((pair) => {
    const encoded = pair.trim().split(':')[1] ?? '';
    return Buffer.from(encoded, /[+/]/.test(encoded) ? 'base64' : 'base64url').toString('hex');
  });
}

/** True for https:// URLs, and for plain http:// to a loopback host (a local sidecar or stub). */
export function isTlsOrLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') {
    return true;
  }
  const host = parsed.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The feature-parity baseline: bare Fastify + pg, like bench/baseline.ts, serving every route the bench
 * measures with the service's responses, and carrying the features the service keeps on its hot routes, each
 * done the cheapest way a careful engineer would on bare Fastify:
 *
 * - request id: the service's rule (a caller's UUID or ULID without a digit run, else a new UUID), in
 *   `x-request-id` and on every log line;
 * - security headers: the service's own set (src/common/http/security-headers.ts), written in one call;
 * - access log: the service's pino logger (createLogger: same fields, redaction, scrubbing, batched writes) and
 *   its request-log controller (one line per request, route template, status, duration);
 * - metrics: the same prom-client histogram (name, labels, buckets), one cached series per label set;
 * - API keys: the service's header reading, format check, known-prefix filter, SHA-256 and a TTL'd cache in
 *   front of the same SQL, the last-used touch batched; the tier checked per route;
 * - rate limits: the service's counters (MemoryThrottlerStorage) with its keys and limits;
 * - validation: class-transformer + class-validator on the service's own DTO classes with the service's options;
 * - personal data: the service's PersonalDataCipher, opening the sealed phone number and context on every read;
 * - sessions and devices: jose verification as the service does it, a session's liveness confirmed once and then
 *   trusted from memory (the service does so while it listens for revocations), the GVP sign-in log line;
 * - errors: problem+json (users), GVP's envelope and Authara's `{ error: { code, message } }`.
 *
 * No Nest, Passport or TypeORM at request time. The DTO classes carry @nestjs/swagger and TypeORM enum imports
 * for their metadata: loaded, never called on a request.
 */
import 'reflect-metadata';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import Fastify, { type FastifyReply, type FastifyRequest, type RouteGenericInterface } from 'fastify';
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { Counter, Histogram, register } from 'prom-client';
import { displayPrefix, hashApiKey, parseApiKey } from 'src/api-keys/api-key-format';
import { ApiKeyError, ApiKeyErrorCode } from 'src/api-keys/api-keys.errors';
import { FIND_BY_SECRET_HASH, type ApiKeyRecord } from 'src/api-keys/api-keys.sql';
import { presentedApiKey } from 'src/auth/credentials';
import { AppError } from 'src/common/errors/app-error';
import { CommonError, CommonErrorCode, type FieldError } from 'src/common/errors/common.errors';
import { securityHeaders } from 'src/common/http/security-headers';
import { createLogger } from 'src/common/logging/logger';
import { RequestLogger } from 'src/common/logging/request-logger';
import { GvpQueryDto } from 'src/gvp/dto/gvp-query.dto';
import { FIND_LINKED_USER } from 'src/gvp/gvp.sql';
import { strongEntityTag, ifNoneMatchMatches } from 'src/openid/entity-tag';
import { MemoryThrottlerStorage } from 'src/rate-limit/memory-throttler.storage';
import { newRefreshToken, parseRefreshToken } from 'src/sessions/refresh-token';
import { AUDIENCE, IS_LIVE, ROTATE } from 'src/sessions/sessions.sql';
import { GetOrCreateUserQueryDto } from 'src/users/dto/user-queries.dto';
import { toUserResponse, type UserResponseDto } from 'src/users/dto/user.response.dto';
import { PersonalDataCipher, SealedColumn } from 'src/users/personal-data';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { AURA_ID_RULE, deriveAuraIdGlobal, generateAuraId, isAuraId } from 'src/users/user-identifiers';
import { UsersError } from 'src/users/users.errors';
import type { UserRow } from 'src/users/users.repository';
import { DELETE_BY_AURA_ID_AND_AUDIT, FIND_BY_AURA_ID, GET_OR_CREATE_KERNEL_USER } from 'src/users/users.sql';
import type { StoredUserRow } from 'src/users/users.sql';
import { UserType } from 'src/users/user.entity';
import { invalidField } from 'src/common/errors/common.errors';
import { database, env, type Statement } from './baseline-database';

// --- settings (the service's defaults, and what the bench gives it) ---------------------------------------

const API_KEY_ENVIRONMENT = env('APIKEY_ENVIRONMENT');
const APIKEY_CACHE_TTL_MS = 30_000;
const RATE_LIMIT_TTL_MS = Number(env('RATE_LIMIT_TTL_SECONDS', '60')) * 1000;
const RATE_LIMIT = Number(env('RATE_LIMIT_LIMIT', '100'));
const RATE_LIMIT_CLIENT = Number(env('RATE_LIMIT_CLIENT_LIMIT', '100'));
const USER_TTL_DAYS = 30;
const OPENID_MAX_AGE_SECONDS = 300;
const SESSION_AUDIENCES = ['app'];
const SESSION_IDLE_SECONDS = 86_400;
const ACCESS_TTL_SECONDS = 600;
const GVP_CHANNEL = 'tv';
const GVP_CLOCK_SKEW_SECONDS = 30;
const CSRF_MAX = 256;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TOUCH_EVERY_MS = 60_000;

// --- database ----------------------------------------------------------------------------------------------

const query = database();

/** The cold statements the service runs through TypeORM's query builder, here as plain SQL. */
const LIST_PREFIXES = { name: 'parity_api_keys_prefixes', text: 'SELECT prefix FROM api_keys' } as Statement;
const TOUCH_LAST_USED = {
  name: 'parity_api_keys_touch',
  text: 'UPDATE api_keys SET last_used_at = $2 WHERE id = ANY($1::uuid[])',
} as Statement;
const pii = new PersonalDataCipher({ PII_KEYS: env('PII_KEYS'), PII_INDEX_KEY: env('PII_INDEX_KEY') });
const auditSecret = env('AUDIT_HMAC_SECRET');
/** The service's phone-number reading (libphonenumber); it reads the default region alone of its configuration. */
const phoneNumbers = new PhoneNumbers({ PHONE_DEFAULT_REGION: 'ES' } as never);

// --- request id, headers, log, metrics ---------------------------------------------------------------------

/** The service's rule (src/bootstrap.ts): a caller's UUID or ULID without an 8-digit run, else a new UUID. */
const REQUEST_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-7][0-9a-hjkmnp-tv-z]{25})$/i;
const DIGIT_RUN = /\d{8}/;

const logger = createLogger((process.env.LOG_LEVEL ?? 'info') as Parameters<typeof createLogger>[0]);
const app = Fastify({
  loggerInstance: logger,
  logController: new RequestLogger(),
  genReqId: (request) => {
    const incoming = request.headers['x-request-id'];
    return typeof incoming === 'string' && REQUEST_ID.test(incoming) && !DIGIT_RUN.test(incoming)
      ? incoming
      : randomUUID();
  },
  routerOptions: { maxParamLength: 512 },
  // The service's HTTP limits (its defaults): a request whole within 5 s, idle connections kept 72 s.
  bodyLimit: 64 * 1024,
  requestTimeout: 5_000,
  connectionTimeout: 30_000,
  keepAliveTimeout: 72_000,
  http: { headersTimeout: 5_000, connectionsCheckingInterval: 1_000 },
});

const headers = securityHeaders().api;
app.addHook('onRequest', (request, reply, done) => {
  void reply.headers(headers).header('x-request-id', request.id);
  done();
});

const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration by method, route template, status and caller.',
  labelNames: ['method', 'route', 'status', 'tier'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});
const series = new Map<string, ReturnType<typeof duration.labels>>();
/** The route's own counters, as the service counts them (users created and deleted, GVP sign-ins, refreshes). */
const usersCreated = new Counter({
  name: 'aura_users_created_total',
  help: 'Users created.',
  labelNames: ['channel', 'user_type'],
});
const usersDeleted = new Counter({ name: 'aura_users_deleted_total', help: 'Users deleted.', labelNames: ['reason'] });
const gvpSignIns = new Counter({ name: 'gvp_sign_ins_total', help: 'GVP sign-ins.', labelNames: ['route', 'outcome'] });
const sessionEvents = new Counter({
  name: 'browser_session_events_total',
  help: 'Session events.',
  labelNames: ['event'],
});

type Caller =
  | { kind: 'api-key'; id: string; tier: string; channel: string | null }
  | { kind: 'session'; sessionId: string; auraId: string }
  | { kind: 'device'; deviceId: string; subscriber: string };

const callers = new WeakMap<FastifyRequest, Caller>();

app.addHook('onResponse', (request, reply, done) => {
  const caller = callers.get(request);
  const tier = caller === undefined ? 'none' : caller.kind === 'api-key' ? caller.tier : caller.kind;
  const route = request.routeOptions.url ?? 'unmatched';
  const key = `${request.method} ${reply.statusCode} ${tier} ${route}`;
  let observed = series.get(key);
  if (observed === undefined) {
    observed = duration.labels(request.method, route, String(reply.statusCode), tier);
    series.set(key, observed);
  }
  observed.observe(reply.elapsedTime / 1000);
  done();
});

app.get('/metrics', async (_request, reply) => reply.type(register.contentType).send(await register.metrics()));

// --- errors ------------------------------------------------------------------------------------------------

/** problem+json as the service writes it (src/common/errors/problem.ts). */
function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body = {
    type: `urn:aura-authentication-api:problem:${error.code}`,
    title: TITLES[error.status] ?? 'Client Error',
    status: error.status,
    detail: error.detail,
    instance: `urn:aura-authentication-api:request:${request.id}`,
    code: error.code,
    requestId: request.id,
    ...error.extensions,
  };
  return reply.status(error.status).headers(error.headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
};

/** Authara's error envelope (src/sessions/authara-error.ts). */
function sendAuthara(reply: FastifyReply, status: 400 | 401 | 403 | 429, message: string): FastifyReply {
  const code = { 400: 'invalid_request', 401: 'unauthorized', 403: 'forbidden', 429: 'rate_limited' }[status];
  return reply
    .status(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ error: { code, message } }));
}

const gvpAuthenticationRequired = {
  StatusCode: 30,
  Severity: 2,
  StatusMessage: 'Authentication required',
  Content: null,
};

// --- validation --------------------------------------------------------------------------------------------

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = (parent ? `${parent}.${error.property}` : error.property).slice(0, 64);
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: message.slice(0, 200) }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** The service's ValidationPipe options (src/common/http/validation.ts), on the DTO class itself. */
async function validated<T extends object>(type: ClassConstructor<T>, plain: unknown): Promise<T> {
  const instance = plainToInstance(type, plain ?? {});
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    const fieldErrors = flatten(errors);
    const fields = [...new Set(fieldErrors.map((error) => error.field))].join(', ');
    throw new CommonError(CommonErrorCode.ValidationFailed, `Invalid input: ${fields}.`, { errors: fieldErrors });
  }
  return instance;
}

// --- API keys and rate limits ------------------------------------------------------------------------------

interface CachedKey {
  caller: Extract<Caller, { kind: 'api-key' }> | undefined;
  expiresAt: number | null;
  revoked: boolean;
  staleAt: number;
}

const knownPrefixes = new Set<string>();
const keyCache = new Map<string, CachedKey>();
let usedKeys = new Set<string>();
setInterval(() => {
  if (usedKeys.size > 0) {
    const ids = [...usedKeys];
    usedKeys = new Set();
    query(TOUCH_LAST_USED, [ids, new Date()]).catch(() => undefined);
  }
}, TOUCH_EVERY_MS).unref();

async function verifyKey(text: string): Promise<Extract<Caller, { kind: 'api-key' }>> {
  const parsed = parseApiKey(text);
  if (
    parsed === undefined ||
    parsed.environment !== API_KEY_ENVIRONMENT ||
    !knownPrefixes.has(displayPrefix(parsed.environment, parsed.publicId))
  ) {
    throw ApiKeyError.invalid('unknown');
  }
  const hash = hashApiKey(text);
  const now = Date.now();
  let entry = keyCache.get(hash);
  if (entry === undefined || entry.staleAt <= now) {
    const [row] = (await query(FIND_BY_SECRET_HASH, FIND_BY_SECRET_HASH.params({ secretHash: hash }))) as
      ApiKeyRecord[] | [];
    entry =
      row === undefined
        ? { caller: undefined, expiresAt: null, revoked: false, staleAt: now + APIKEY_CACHE_TTL_MS }
        : {
            caller: { kind: 'api-key', id: row.id, tier: row.tier, channel: row.channel },
            expiresAt: row.expiresAt?.getTime() ?? null,
            revoked: row.revokedAt !== null,
            staleAt: now + APIKEY_CACHE_TTL_MS,
          };
    keyCache.set(hash, entry);
  }
  if (entry.caller === undefined || entry.revoked || (entry.expiresAt !== null && entry.expiresAt <= now)) {
    throw ApiKeyError.invalid('unknown');
  }
  usedKeys.add(entry.caller.id);
  return entry.caller;
}

const counters = new MemoryThrottlerStorage();

/**
 * The service's two limits (src/rate-limit/throttlers.ts): `client` for public keys and sessions, then
 * `default`; each counted limit's X-RateLimit-* headers as @nestjs/throttler writes them.
 */
async function withinLimits(
  request: FastifyRequest,
  reply: FastifyReply,
  caller: Caller | undefined,
): Promise<boolean> {
  if (caller?.kind === 'session' || (caller?.kind === 'api-key' && caller.tier === 'public')) {
    const tracker = caller.kind === 'session' ? `session:ip:${request.ip}` : `key:${caller.id}:ip:${request.ip}`;
    if (!(await counted(reply, `client:${tracker}`, RATE_LIMIT_CLIENT, '-client'))) {
      return false;
    }
  }
  const tracker =
    caller === undefined
      ? `ip:${request.ip}`
      : caller.kind === 'api-key'
        ? `key:${caller.id}`
        : caller.kind === 'session'
          ? `session:${caller.sessionId}`
          : `device:${caller.deviceId}`;
  return counted(reply, `default:${tracker}`, RATE_LIMIT, '');
}

async function counted(reply: FastifyReply, key: string, limit: number, suffix: string): Promise<boolean> {
  const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = await counters.increment(
    key,
    RATE_LIMIT_TTL_MS,
    limit,
  );
  if (isBlocked) {
    void reply.header('retry-after', String(Math.max(1, timeToBlockExpire)));
    return false;
  }
  void reply.headers({
    [`x-ratelimit-limit${suffix}`]: limit,
    [`x-ratelimit-remaining${suffix}`]: Math.max(0, limit - totalHits),
    [`x-ratelimit-reset${suffix}`]: timeToExpire,
  });
  return true;
}

const rateLimited = () =>
  new CommonError(CommonErrorCode.RateLimited, 'Too many requests for this API key; retry later.');

/** The key of the request, of one of the route's tiers, within its limits; or the problem to answer. */
async function keyCaller(
  request: FastifyRequest,
  reply: FastifyReply,
  tiers: string[],
): Promise<Extract<Caller, { kind: 'api-key' }> | AppError> {
  try {
    const { key, unusable } = presentedApiKey(request, false);
    if (key === undefined || unusable) {
      return key === undefined ? ApiKeyError.missing() : ApiKeyError.invalid('malformed');
    }
    const caller = await verifyKey(key);
    callers.set(request, caller);
    if (!tiers.includes(caller.tier)) {
      return new ApiKeyError(ApiKeyErrorCode.TierForbidden, 'This API key tier may not call this route.');
    }
    return (await withinLimits(request, reply, caller)) ? caller : rateLimited();
  } catch (error) {
    if (error instanceof AppError) {
      return error;
    }
    throw error;
  }
}

// --- users -------------------------------------------------------------------------------------------------

/** The stored row with its personal data opened, as the service's repository reads it. */
function unseal<T extends StoredUserRow>(row: T): UserRow {
  const context = pii.openNullable(SealedColumn.AuthenticationContext, row.authentication_context);
  return {
    ...row,
    phone_number: pii.openNullable(SealedColumn.PhoneNumber, row.phone_number),
    authentication_context: context === null ? null : (JSON.parse(context) as Record<string, unknown>),
  };
}

function auraIdParam(auraId: string): string {
  if (!isAuraId(auraId)) {
    throw invalidField('auraId', AURA_ID_RULE);
  }
  return auraId;
}

/** Runs a users route: any AppError it throws is answered as problem+json. */
const guarded =
  <P extends RouteGenericInterface>(
    tiers: string[],
    handle: (request: FastifyRequest<P>, reply: FastifyReply, caller: Caller) => Promise<unknown>,
  ) =>
  async (request: FastifyRequest<P>, reply: FastifyReply): Promise<unknown> => {
    const caller = await keyCaller(request, reply, tiers);
    if (caller instanceof AppError) {
      return sendProblem(request, reply, caller);
    }
    try {
      return await handle(request, reply, caller);
    } catch (error) {
      if (error instanceof AppError) {
        return sendProblem(request, reply, error);
      }
      throw error;
    }
  };

const hides = (caller: Caller, channel: string) =>
  caller.kind === 'api-key' && caller.channel !== null && caller.channel !== channel;

app.get<{ Params: { auraId: string } }>(
  '/users/:auraId',
  guarded(['internal'], async (request, _reply, caller): Promise<UserResponseDto> => {
    const auraId = auraIdParam(request.params.auraId);
    const [row] = (await query(FIND_BY_AURA_ID, FIND_BY_AURA_ID.params({ auraId }))) as (StoredUserRow & {
      expired: boolean;
    })[];
    if (row === undefined || row.user_type !== UserType.Authenticated || hides(caller, row.channel)) {
      throw UsersError.notFound();
    }
    const user = unseal(row);
    if (row.expired) {
      throw UsersError.expired();
    }
    return toUserResponse(user);
  }),
);

app.get(
  '/users/aura-id',
  guarded(['kernel'], async (request, reply, caller) => {
    const dto = await validated(GetOrCreateUserQueryDto, request.query);
    const bound = caller.kind === 'api-key' ? caller.channel : null;
    const channel = bound ?? dto.channel;
    if (channel === undefined) {
      throw invalidField('channel', 'channel is required for a key bound to no channel');
    }
    // The bench's Kernel users carry no phone number nor expiry; their userId is scanned for phone numbers as
    // the repository does (the blind indexes of the numbers a record mentions).
    const values = GET_OR_CREATE_KERNEL_USER.params({
      user: {
        auraId: generateAuraId(),
        auraIdGlobal: dto.auraIdGlobal ?? deriveAuraIdGlobal(pii, { phoneNumber: null, userId: dto.userId }),
        userId: dto.userId,
        channel,
        subscriptionType: dto.subscriptionType ?? null,
        authorizationId: dto.authorizationId,
        expiresAt: null,
      },
      personal: {
        sealedPhoneNumber: null,
        phoneIndex: null,
        phoneMentions: phoneNumbers.findAll([dto.userId]).map((number) => pii.phoneIndex(number)),
      },
      ttlDays: USER_TTL_DAYS,
    });
    // A row inserted concurrently after the statement's snapshot is invisible to it: run it again, as the service does.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [row] = (await query(GET_OR_CREATE_KERNEL_USER, values)) as (StoredUserRow & {
        created: boolean;
        expired: boolean;
      })[];
      if (row !== undefined) {
        if (row.created) {
          usersCreated.labels(row.channel, row.user_type).inc();
        }
        return reply.status(row.created ? 201 : 200).send(toUserResponse(unseal(row)));
      }
    }
    throw new Error('get-or-create found neither a row to return nor one to create');
  }),
);

app.delete<{ Params: { auraId: string } }>(
  '/users/:auraId',
  guarded(['internal', 'kernel'], async (request, reply, caller) => {
    const auraId = auraIdParam(request.params.auraId);
    const [deleted] = await query(
      DELETE_BY_AURA_ID_AND_AUDIT,
      DELETE_BY_AURA_ID_AND_AUDIT.params({
        auraId,
        channel: caller.kind === 'api-key' ? caller.channel : null,
        audit: {
          action: 'user.deleted',
          actorKeyId: caller.kind === 'api-key' ? caller.id : null,
          subjectHash: createHmac('sha256', auditSecret).update(auraId).digest('hex'),
          requestId: request.id,
        },
      }),
    );
    if (deleted?.deleted === true) {
      usersDeleted.labels('logout').inc();
    }
    return reply.status(204).send();
  }),
);

// --- OpenID documents: bytes, ETag and Cache-Control prepared at boot ----------------------------------------

function prepared(path: string, body: string): void {
  const validators = { etag: strongEntityTag(body), 'cache-control': `public, max-age=${OPENID_MAX_AGE_SECONDS}` };
  app.get(path, (request, reply) => {
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatchMatches(ifNoneMatch, validators.etag)) {
      return reply.status(304).headers(validators).send();
    }
    return reply.headers(validators).type('application/json; charset=utf-8').send(body);
  });
}

prepared('/openid/jwk', env('BASELINE_JWKS'));
prepared('/openid/issuer/.well-known/openid-configuration', env('BASELINE_DISCOVERY'));

// --- GVP -------------------------------------------------------------------------------------------------------

const gvpKeys = createLocalJWKSet(JSON.parse(env('BASELINE_GVP_JWKS')) as JSONWebKeySet);
const gvp = { issuer: env('BASELINE_GVP_ISSUER'), audience: env('BASELINE_GVP_AUDIENCE') };

app.get<{ Querystring: Record<string, string> }>('/gvp/aura-id', async (request, reply) => {
  const started = performance.now();
  const token = request.query.token ?? request.headers['x-gvp-token'];
  const refuse = () => reply.status(401).send(gvpAuthenticationRequired);
  if (typeof token !== 'string' || token.length === 0 || token.length > 8192 || !COMPACT_JWS.test(token)) {
    return refuse();
  }
  let device: Extract<Caller, { kind: 'device' }>;
  try {
    const { payload } = await jwtVerify(token, gvpKeys, {
      ...gvp,
      algorithms: ['RS256', 'ES256'],
      clockTolerance: GVP_CLOCK_SKEW_SECONDS,
      requiredClaims: ['exp', 'sub', 'deviceId'],
    });
    device = { kind: 'device', deviceId: payload.deviceId as string, subscriber: payload.sub! };
  } catch {
    return refuse();
  }
  callers.set(request, device);
  if (!(await withinLimits(request, reply, device))) {
    return reply.status(429).send({ StatusCode: 34, Severity: 2, StatusMessage: 'Too many requests', Content: null });
  }
  try {
    await validated(GvpQueryDto, request.query);
  } catch {
    return reply.status(400).send({ StatusCode: 31, Severity: 2, StatusMessage: 'Invalid request', Content: null });
  }
  const subscriberHash = createHmac('sha256', auditSecret).update(`gvp:${device.subscriber}`).digest('hex');
  const [link] = (await query(
    FIND_LINKED_USER,
    FIND_LINKED_USER.params({ channel: GVP_CHANNEL, deviceId: device.deviceId, subscriberHash }),
  )) as { aura_id: string; expired: boolean; same_subscriber: boolean }[];
  if (link === undefined || link.expired || !link.same_subscriber) {
    // The service signs an unknown device in at Kernel; every device of the bench is known.
    return reply.status(404).send({ StatusCode: 321, Severity: 2, StatusMessage: 'not linked', Content: null });
  }
  // The service's sign-in record: a counter and one log line per sign-in, through its root logger as Nest's
  // Logger writes it (src/gvp/gvp.service.ts).
  gvpSignIns.labels('aura_id', 'linked').inc();
  logger.info(
    {
      context: 'GvpService',
      route: 'aura_id',
      requestId: request.id,
      outcome: 'linked',
      statusCode: 0,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      channel: GVP_CHANNEL,
    },
    'GVP sign-in',
  );
  return { StatusCode: 0, Severity: 1, StatusMessage: 'OK', Content: { auraId: link.aura_id } };
});

// --- sessions --------------------------------------------------------------------------------------------------

const ownKeys = createLocalJWKSet(JSON.parse(env('BASELINE_JWKS')) as JSONWebKeySet);
const issuer = env('BASELINE_ISSUER');
const [signingKey] = JSON.parse(env('BASELINE_SIGNING_KEYS')) as { kid: string; alg: string; jwk: JWK }[];
const privateKey = importJWK(signingKey.jwk, signingKey.alg);

/** The cookies of a request, read only on the routes that need them (as the service does). */
function cookies(header: string | undefined): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const part of header?.split(';') ?? []) {
    const at = part.indexOf('=');
    if (at > 0) {
      jar[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
    }
  }
  return jar;
}

const cookie = (name: string, value: string, path: string, httpOnly: boolean, maxAge: number) =>
  `${name}=${value}; Max-Age=${maxAge}; Path=${path}; ${httpOnly ? 'HttpOnly; ' : ''}Secure; SameSite=Lax`;

const rolesOf = (user: UserResponseDto) => [
  `aura:${user.userType}`,
  ...(user.subscriptionType === null ? [] : [`aura:${user.subscriptionType}`]),
];

async function findForSession(auraId: string): Promise<{ user: UserResponseDto; expired: boolean } | undefined> {
  const [row] = (await query(FIND_BY_AURA_ID, FIND_BY_AURA_ID.params({ auraId }))) as (StoredUserRow & {
    expired: boolean;
  })[];
  return row === undefined ? undefined : { user: toUserResponse(unseal(row)), expired: row.expired };
}

app.post<{ Querystring: { audience?: string } }>('/auth/api/v1/sessions/refresh', async (request, reply) => {
  if (!(await withinLimits(request, reply, undefined))) {
    return sendAuthara(reply, 429, 'Too many requests for this API key; retry later.');
  }
  const jar = cookies(request.headers.cookie);
  const csrf = request.headers['x-csrf-token'];
  const csrfCookie = jar.authara_csrf;
  if (
    typeof csrf !== 'string' ||
    csrfCookie === undefined ||
    csrf.length > CSRF_MAX ||
    csrf.length !== csrfCookie.length ||
    !timingSafeEqual(Buffer.from(csrf), Buffer.from(csrfCookie))
  ) {
    return sendAuthara(reply, 403, 'The X-CSRF-Token header does not match the CSRF cookie.');
  }
  const requested = request.query.audience === '' ? undefined : request.query.audience;
  if (requested !== undefined && !SESSION_AUDIENCES.includes(requested)) {
    return sendAuthara(reply, 400, `audience, when given, must be one of: ${SESSION_AUDIENCES.join(', ')}.`);
  }
  const presented = parseRefreshToken(jar.authara_refresh);
  if (presented === undefined) {
    return sendAuthara(reply, 401, 'No valid refresh token.');
  }
  if (requested !== undefined) {
    const [opened] = (await query(AUDIENCE, AUDIENCE.params({ id: presented.sessionId }))) as { audience: string }[];
    if (opened !== undefined && opened.audience !== requested) {
      return sendAuthara(reply, 400, `This session was opened for audience ${opened.audience}.`);
    }
  }
  const next = newRefreshToken(presented.sessionId);
  const [session] = (await query(
    ROTATE,
    ROTATE.params({
      id: presented.sessionId,
      presentedHash: presented.hash,
      nextHash: next.hash,
      idleSeconds: SESSION_IDLE_SECONDS,
    }),
  )) as { id: string; aura_id: string; audience: string; expires_at: Date }[];
  if (session === undefined) {
    // The service then looks for a use within the grace, and for reuse; the bench's chains never get here.
    return sendAuthara(reply, 401, 'No valid session.');
  }
  const found = await findForSession(session.aura_id);
  if (found === undefined || found.expired) {
    return sendAuthara(reply, 401, 'The user record of the session has expired.');
  }
  const now = Math.floor(Date.now() / 1000);
  const access = await new SignJWT({
    iss: issuer,
    jti: randomUUID(),
    sub: session.aura_id,
    aud: session.audience,
    sid: session.id,
    roles: rolesOf(found.user),
    iat: now,
    exp: now + ACCESS_TTL_SECONDS,
  })
    .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: 'at+jwt' })
    .sign(await privateKey);
  const remaining = Math.max(1, Math.floor((new Date(session.expires_at).getTime() - Date.now()) / 1000));
  sessionEvents.labels('refresh_rotated').inc();
  void reply.header('set-cookie', [
    cookie('authara_access', access, '/', true, Math.min(ACCESS_TTL_SECONDS, remaining)),
    cookie('authara_refresh', next.value, '/auth', true, remaining),
    cookie('authara_csrf', csrfCookie, '/', false, remaining),
  ]);
  return reply.status(200).send();
});

/** Sessions confirmed live, until when: the service trusts them from memory while it hears revocations. */
const confirmed = new Map<string, number>();

async function hasEnded(sessionId: string, auraId: string): Promise<boolean> {
  const until = confirmed.get(sessionId);
  if (until !== undefined && until > Date.now()) {
    return false;
  }
  const [row] = (await query(
    IS_LIVE,
    IS_LIVE.params({ id: sessionId, auraId, idleSeconds: SESSION_IDLE_SECONDS }),
  )) as {
    live_until: Date;
  }[];
  if (row === undefined) {
    confirmed.delete(sessionId);
    return true;
  }
  confirmed.set(sessionId, new Date(row.live_until).getTime());
  return false;
}

app.get('/auth/api/v1/user', async (request, reply) => {
  const token = cookies(request.headers.cookie).authara_access;
  if (token === undefined) {
    return sendAuthara(reply, 401, 'No valid session.');
  }
  let session: Extract<Caller, { kind: 'session' }>;
  try {
    const { payload } = await jwtVerify(token, ownKeys, {
      issuer,
      audience: SESSION_AUDIENCES,
      algorithms: [signingKey.alg],
      typ: 'at+jwt',
      requiredClaims: ['sub', 'sid', 'exp', 'iat'],
    });
    session = { kind: 'session', sessionId: payload.sid as string, auraId: payload.sub! };
  } catch {
    return sendAuthara(reply, 401, 'The session cookie is invalid or expired; refresh it.');
  }
  if (await hasEnded(session.sessionId, session.auraId)) {
    return sendAuthara(reply, 401, 'The session cookie is invalid or expired; refresh it.');
  }
  callers.set(request, session);
  if (!(await withinLimits(request, reply, session))) {
    return sendAuthara(reply, 429, 'Too many requests for this API key; retry later.');
  }
  // The service's currentUser: the session's liveness asked again, then the user record (src/sessions/sessions.service.ts).
  const live = await query(
    IS_LIVE,
    IS_LIVE.params({ id: session.sessionId, auraId: session.auraId, idleSeconds: SESSION_IDLE_SECONDS }),
  );
  const found = live.length === 0 ? undefined : await findForSession(session.auraId);
  if (found === undefined) {
    return sendAuthara(reply, 401, 'No valid session.');
  }
  const { user, expired } = found;
  const email = user.authenticationContext?.email;
  return {
    id: user.auraId,
    email: typeof email === 'string' ? email : '',
    username: user.auraId,
    roles: [],
    aura_roles: rolesOf(user),
    disabled: expired,
    created_at: user.createdAt,
    organization: { id: user.channel, name: user.channel, role: 'member' },
  };
});

// --- health and start ----------------------------------------------------------------------------------------

/** Liveness as the service answers it (src/health/health.service.ts): the event loop's delay and the heap. */
const eventLoop = monitorEventLoopDelay({ resolution: 20 });
eventLoop.enable();
const HEAP_LIMIT_BYTES = 176 * 2 ** 20;
const EVENT_LOOP_LIMIT_MS = 5_000;

app.get('/healthz', (_request, reply) => {
  const maxDelayMs = Math.round(eventLoop.max / 1e6);
  eventLoop.reset();
  const heapUp = process.memoryUsage().heapUsed <= HEAP_LIMIT_BYTES;
  const loopUp = maxDelayMs <= EVENT_LOOP_LIMIT_MS;
  const checks = {
    eventLoop: { status: loopUp ? 'up' : 'down', maxDelayMs },
    heap: { status: heapUp ? 'up' : 'down' },
  };
  return heapUp && loopUp ? { status: 'ok', checks } : reply.status(503).send({ status: 'error', checks });
});

async function main(): Promise<void> {
  for (const row of await query(LIST_PREFIXES, [])) {
    knownPrefixes.add(row.prefix as string);
  }
  await app.listen({ port: Number(env('PORT')), host: '127.0.0.1' });
  // Exits of its own on SIGTERM, as the service does (and so --cpu-prof writes its profile).
  process.once('SIGTERM', () => {
    void app.close().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

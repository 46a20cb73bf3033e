/**
 * The baseline: a bare Fastify server with the same pg pool settings, running the same SQL for the same
 * routes as the service, with a constant-time API-key check and the cryptography each protocol requires
 * (JWT verification and signing with jose, token hashes, HMACs) — the practical limit of this stack on this
 * machine. No Nest, no validation, no logging, no metrics, no security headers, no unsealing of personal data.
 * Bodies have the service's shapes (errors of the session API in Authara's `{ error: { code, message } }`); the
 * feature-parity baseline (bench/parity-baseline.ts) adds the features.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { FIND_LINKED_USER } from 'src/gvp/gvp.sql';
import { newRefreshToken, parseRefreshToken } from 'src/sessions/refresh-token';
import { IS_LIVE, ROTATE } from 'src/sessions/sessions.sql';
import { toUserResponse } from 'src/users/dto/user.response.dto';
import { deriveAuraIdGlobal } from 'src/users/user-identifiers';
import { PersonalDataCipher } from 'src/users/personal-data';
import { DELETE_BY_AURA_ID_AND_AUDIT, FIND_BY_AURA_ID, GET_OR_CREATE_KERNEL_USER } from 'src/users/users.sql';
import type { UserRow } from 'src/users/users.repository';
import { database, env } from './baseline-database';

const digest = (key: string) => createHash('sha256').update(key).digest();
const keys = new Map([
  ['internal', digest(env('BASELINE_INTERNAL_KEY'))],
  ['kernel', digest(env('BASELINE_KERNEL_KEY'))],
  ['public', digest(env('BASELINE_PUBLIC_KEY'))],
]);
const TTL_DAYS = 30;
const BASELINE_KEY_ID = '00000000-0000-4000-8000-000000000000';
const auditSecret = env('AUDIT_HMAC_SECRET');
const auditHash = (value: string) => createHmac('sha256', auditSecret).update(value).digest('hex');

/** Constant-time comparison of the presented key with the one key of the tier. */
function authorized(header: unknown, tier: 'internal' | 'kernel' | 'public'): boolean {
  return typeof header === 'string' && timingSafeEqual(digest(header), keys.get(tier)!);
}

const query = database();
// The id derivation the service does per get-or-create (an HMAC); the baseline seals nothing.
const pseudonyms = new PersonalDataCipher({
  PII_KEYS: `baseline:${randomBytes(32).toString('base64url')}`,
  PII_INDEX_KEY: randomBytes(32).toString('base64url'),
});
const jwks = env('BASELINE_JWKS');
const discovery = env('BASELINE_DISCOVERY');
const issuer = env('BASELINE_ISSUER');
const ownKeys = createLocalJWKSet(JSON.parse(jwks) as JSONWebKeySet);
const gvpKeys = createLocalJWKSet(JSON.parse(env('BASELINE_GVP_JWKS')) as JSONWebKeySet);
const gvp = { issuer: env('BASELINE_GVP_ISSUER'), audience: env('BASELINE_GVP_AUDIENCE') };
const [signingKey] = JSON.parse(env('BASELINE_SIGNING_KEYS')) as { kid: string; alg: string; jwk: JWK }[];
const privateKey = importJWK(signingKey.jwk, signingKey.alg);
const SESSION_AUDIENCE = 'app';
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const SESSION_IDLE_SECONDS = 86_400;
const ACCESS_TTL_SECONDS = 600;
const app = Fastify();

/** The cookies of a request (the service parses them with @fastify/cookie). */
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

/** Authara's error envelope, as the service answers on the session API. */
const autharaError = (reply: FastifyReply, status: number, code: string) =>
  reply.status(status).send({ error: { code, message: code } });

const rolesOf = (row: UserRow) => [
  `aura:${row.user_type}`,
  ...(row.subscription_type === null ? [] : [`aura:${row.subscription_type}`]),
];

/** The service's access-token verification (src/sessions/access-tokens.ts), against its own public keys. */
async function principalOf(token: string | undefined): Promise<{ sub: string; sid: string } | undefined> {
  if (token === undefined) {
    return undefined;
  }
  try {
    const { payload } = await jwtVerify(token, ownKeys, {
      issuer,
      audience: [SESSION_AUDIENCE],
      algorithms: [signingKey.alg],
      typ: 'at+jwt',
      requiredClaims: ['sub', 'sid', 'exp', 'iat'],
    });
    return typeof payload.sub === 'string' && typeof payload.sid === 'string'
      ? { sub: payload.sub, sid: payload.sid }
      : undefined;
  } catch {
    return undefined;
  }
}

app.get<{ Params: { auraId: string } }>('/users/:auraId', async (request, reply) => {
  if (!authorized(request.headers['x-api-key'], 'internal')) {
    return reply.status(401).send({ code: 'api_key_invalid' });
  }
  const values = FIND_BY_AURA_ID.params({ auraId: request.params.auraId });
  const [row] = (await query(FIND_BY_AURA_ID, values)) as (UserRow & { expired: boolean })[];
  if (row === undefined || row.expired) {
    return reply.status(404).send({ code: 'user_not_found' });
  }
  return toUserResponse(row);
});

app.get<{ Querystring: Record<string, string> }>('/users/aura-id', async (request, reply) => {
  if (!authorized(request.headers['x-api-key'], 'kernel')) {
    return reply.status(401).send({ code: 'api_key_invalid' });
  }
  const { channel, userId, authorizationId } = request.query;
  const values = GET_OR_CREATE_KERNEL_USER.params({
    user: {
      auraId: randomBytes(24).toString('base64url'),
      auraIdGlobal: deriveAuraIdGlobal(pseudonyms, { phoneNumber: null, userId }),
      userId,
      channel,
      subscriptionType: null,
      authorizationId,
      expiresAt: null,
    },
    personal: { sealedPhoneNumber: null, phoneIndex: null, phoneMentions: [] },
    ttlDays: TTL_DAYS,
  });
  const [row] = (await query(GET_OR_CREATE_KERNEL_USER, values)) as (UserRow & { created: boolean })[];
  return reply.status(row.created ? 201 : 200).send(toUserResponse(row));
});

app.delete<{ Params: { auraId: string } }>('/users/:auraId', async (request, reply) => {
  if (!authorized(request.headers['x-api-key'], 'internal')) {
    return reply.status(401).send({ code: 'api_key_invalid' });
  }
  // The service's logout statement, audit row included (hashed auraId, acting key, request id).
  await query(
    DELETE_BY_AURA_ID_AND_AUDIT,
    DELETE_BY_AURA_ID_AND_AUDIT.params({
      auraId: request.params.auraId,
      channel: null,
      audit: {
        action: 'user.deleted',
        actorKeyId: BASELINE_KEY_ID,
        subjectHash: auditHash(request.params.auraId),
        requestId: request.id,
      },
    }),
  );
  return reply.status(204).send();
});

app.get('/openid/jwk', (_request, reply) => reply.type('application/json').send(jwks));

app.get('/openid/issuer/.well-known/openid-configuration', (_request, reply) =>
  reply.type('application/json').send(discovery),
);

/** GVP sign-in of a known device: the device token verified as the service does, then its link (one statement). */
app.get<{ Querystring: { token?: string } }>('/gvp/aura-id', async (request, reply) => {
  // No API key: the device token is the route's one credential, as in the service.
  const token = request.query.token;
  void reply.header('cache-control', 'no-store');
  if (token === undefined || token.length > 8192 || !COMPACT_JWS.test(token)) {
    return reply
      .status(401)
      .send({ StatusCode: 30, Severity: 2, StatusMessage: 'Authentication required', Content: null });
  }
  let subscriber: string;
  let deviceId: string;
  try {
    const { payload } = await jwtVerify(token, gvpKeys, {
      ...gvp,
      algorithms: ['RS256', 'ES256'],
      clockTolerance: 30,
      requiredClaims: ['exp', 'sub', 'deviceId'],
    });
    subscriber = payload.sub!;
    deviceId = payload.deviceId as string;
  } catch {
    return reply
      .status(401)
      .send({ StatusCode: 30, Severity: 2, StatusMessage: 'Authentication required', Content: null });
  }
  const subscriberHash = createHmac('sha256', auditSecret).update(`gvp:${subscriber}`).digest('hex');
  const [link] = (await query(
    FIND_LINKED_USER,
    FIND_LINKED_USER.params({ channel: 'tv', deviceId, subscriberHash }),
  )) as {
    aura_id: string;
    expired: boolean;
    same_subscriber: boolean;
  }[];
  if (link === undefined || link.expired || !link.same_subscriber) {
    return reply.status(404).send({ StatusCode: 321, Severity: 2, StatusMessage: 'not linked', Content: null });
  }
  return { StatusCode: 0, Severity: 1, StatusMessage: 'OK', Content: { auraId: link.aura_id } };
});

/** Session refresh: CSRF double submit, the refresh token rotated (one statement), the user read, an access token signed. */
app.post<{ Querystring: { audience?: string } }>('/auth/api/v1/sessions/refresh', async (request, reply) => {
  const jar = cookies(request.headers.cookie);
  const csrf = request.headers['x-csrf-token'];
  if (
    typeof csrf !== 'string' ||
    jar.authara_csrf === undefined ||
    csrf.length !== jar.authara_csrf.length ||
    !timingSafeEqual(Buffer.from(csrf), Buffer.from(jar.authara_csrf))
  ) {
    return autharaError(reply, 403, 'forbidden');
  }
  const audience = request.query.audience;
  if (audience !== SESSION_AUDIENCE) {
    return autharaError(reply, 400, 'invalid_request');
  }
  const presented = parseRefreshToken(jar.authara_refresh);
  if (presented === undefined) {
    return autharaError(reply, 401, 'unauthorized');
  }
  const next = newRefreshToken(presented.sessionId);
  const rotation = {
    id: presented.sessionId,
    presentedHash: presented.hash,
    nextHash: next.hash,
    idleSeconds: SESSION_IDLE_SECONDS,
  };
  const [session] = (await query(ROTATE, ROTATE.params(rotation))) as {
    id: string;
    aura_id: string;
    expires_at: Date;
  }[];
  if (session === undefined) {
    return autharaError(reply, 401, 'unauthorized');
  }
  const [user] = (await query(FIND_BY_AURA_ID, [session.aura_id])) as (UserRow & { expired: boolean })[];
  if (user === undefined || user.expired) {
    return autharaError(reply, 401, 'unauthorized');
  }
  const now = Math.floor(Date.now() / 1000);
  const access = await new SignJWT({
    iss: issuer,
    jti: randomUUID(),
    sub: session.aura_id,
    aud: audience,
    sid: session.id,
    roles: rolesOf(user),
    iat: now,
    exp: now + ACCESS_TTL_SECONDS,
  })
    .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: 'at+jwt' })
    .sign(await privateKey);
  const remaining = Math.max(1, Math.floor((new Date(session.expires_at).getTime() - Date.now()) / 1000));
  void reply.header('set-cookie', [
    cookie('authara_access', access, '/', true, Math.min(ACCESS_TTL_SECONDS, remaining)),
    cookie('authara_refresh', next.value, '/auth', true, remaining),
    cookie('authara_csrf', jar.authara_csrf, '/', false, remaining),
  ]);
  return reply.header('cache-control', 'no-store').status(200).send();
});

/** The session's user: the access cookie verified with jose, the session's liveness, the user record. */
app.get('/auth/api/v1/user', async (request, reply) => {
  const principal = await principalOf(cookies(request.headers.cookie).authara_access);
  if (
    principal === undefined ||
    (
      await query(
        IS_LIVE,
        IS_LIVE.params({ id: principal.sid, auraId: principal.sub, idleSeconds: SESSION_IDLE_SECONDS }),
      )
    ).length === 0
  ) {
    return autharaError(reply, 401, 'unauthorized');
  }
  const [user] = (await query(FIND_BY_AURA_ID, [principal.sub])) as (UserRow & { expired: boolean })[];
  if (user === undefined) {
    return autharaError(reply, 401, 'unauthorized');
  }
  return {
    id: user.aura_id,
    email: '',
    username: user.aura_id,
    roles: [],
    aura_roles: rolesOf(user),
    disabled: user.expired,
    created_at: toUserResponse(user).createdAt,
    organization: { id: user.channel, name: user.channel, role: 'member' },
  };
});

app.get('/healthz', async () => {
  await query({ text: 'SELECT 1' }, []);
  return { status: 'ok' };
});

app.listen({ port: Number(env('PORT')), host: '127.0.0.1' }).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

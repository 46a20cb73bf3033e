/**
 * The baseline: a bare Fastify server with the same pg pool settings, running the same SQL for the same
 * routes as the service, with a constant-time API-key check — the practical limit of this stack on this
 * machine. No Nest, no validation, no logging, no metrics, no security headers.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { PGlite } from '@electric-sql/pglite';
import { Pool, type QueryResultRow } from 'pg';
import { toUserResponse } from 'src/users/dto/user.response.dto';
import { deriveAuraIdGlobal } from 'src/users/user-identifiers';
import { PersonalDataCipher } from 'src/users/personal-data';
import { DELETE_BY_AURA_ID_AND_AUDIT, FIND_BY_AURA_ID, GET_OR_CREATE_KERNEL_USER } from 'src/users/users.sql';
import type { UserRow } from 'src/users/users.repository';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) {
    throw new Error(`${name} is required`);
  }
  return value;
};

const digest = (key: string) => createHash('sha256').update(key).digest();
const keys = new Map([
  ['internal', digest(env('BASELINE_INTERNAL_KEY'))],
  ['kernel', digest(env('BASELINE_KERNEL_KEY'))],
]);
const TTL_DAYS = 30;
const BASELINE_KEY_ID = '00000000-0000-4000-8000-000000000000';
const auditSecret = env('AUDIT_HMAC_SECRET');
const auditHash = (value: string) => createHmac('sha256', auditSecret).update(value).digest('hex');

/** Constant-time comparison of the presented key with the one key of the tier. */
function authorized(header: unknown, tier: 'internal' | 'kernel'): boolean {
  return typeof header === 'string' && timingSafeEqual(digest(header), keys.get(tier)!);
}

interface Statement {
  name?: string;
  text: string;
}

/** The service's pool settings on PostgreSQL (named prepared statements, like the service); PGlite otherwise. */
function database(): (statement: Statement, values: unknown[]) => Promise<QueryResultRow[]> {
  const pgliteDir = process.env.BASELINE_PGLITE_DIR;
  if (pgliteDir !== undefined) {
    const db = new PGlite(pgliteDir);
    return async (statement, values) => (await db.query<QueryResultRow>(statement.text, values)).rows;
  }
  const pool = new Pool({
    connectionString: env('DATABASE_URL'),
    max: Number(process.env.DATABASE_POOL_MAX ?? 10),
    connectionTimeoutMillis: 2_000,
    statement_timeout: 5_000,
    query_timeout: 6_000,
  });
  return async (statement, values) => (await pool.query<QueryResultRow>({ ...statement, values })).rows;
}

const query = database();
// The id derivation the service does per get-or-create (an HMAC); the baseline seals nothing.
const pseudonyms = new PersonalDataCipher({
  PII_KEYS: `baseline:${randomBytes(32).toString('base64url')}`,
  PII_INDEX_KEY: randomBytes(32).toString('base64url'),
});
const jwks = env('BASELINE_JWKS');
const app = Fastify();

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

app.get('/healthz', async () => {
  await query({ text: 'SELECT 1' }, []);
  return { status: 'ok' };
});

app.listen({ port: Number(env('PORT')), host: '127.0.0.1' }).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

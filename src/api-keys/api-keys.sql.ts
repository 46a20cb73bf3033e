import type { Tier } from 'src/auth/tier';
import type { Statement } from 'src/database/database';

/** The SQL of `api_keys`. Rows come back with the entity's (camelCase) field names. */

/** An API key as stored: only the SHA-256 of its secret. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  secretHash: string;
  tier: Tier;
  channel: string | null;
  rotatedFromId: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const COLUMNS = `id, name, prefix, secret_hash AS "secretHash", tier, channel, rotated_from_id AS "rotatedFromId",
  created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", last_used_at AS "lastUsedAt"`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An operator's reference to a key: its id, or else its public prefix (`$1` id, `$2` prefix: one is null). */
const byReference = ({ reference }: { reference: string }): unknown[] =>
  UUID.test(reference) ? [reference, null] : [null, reference];

export const INSERT: Statement<Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>, never> = {
  name: 'api_keys_insert',
  text: `INSERT INTO api_keys (id, name, prefix, secret_hash, tier, channel, rotated_from_id, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  params: (key) => [
    key.id,
    key.name,
    key.prefix,
    key.secretHash,
    key.tier,
    key.channel,
    key.rotatedFromId,
    key.expiresAt,
  ],
};

/** The request path's lookup (after the cache): by the hash of the presented key. */
export const FIND_BY_SECRET_HASH: Statement<{ secretHash: string }, ApiKeyRecord> = {
  name: 'api_keys_find_by_secret_hash',
  text: `SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = $1`,
  params: ({ secretHash }) => [secretHash],
};

export const FIND_BY_REFERENCE: Statement<{ reference: string }, ApiKeyRecord> = {
  name: 'api_keys_find_by_reference',
  text: `SELECT ${COLUMNS} FROM api_keys WHERE id = $1::uuid OR prefix = $2::varchar`,
  params: byReference,
};

/** The same, locking the row until the transaction ends. */
export const LOCK_BY_REFERENCE: Statement<{ reference: string }, ApiKeyRecord> = {
  name: 'api_keys_lock_by_reference',
  text: `SELECT ${COLUMNS} FROM api_keys WHERE id = $1::uuid OR prefix = $2::varchar FOR UPDATE`,
  params: byReference,
};

export const LIST: Statement<void, ApiKeyRecord> = {
  name: 'api_keys_list',
  text: `SELECT ${COLUMNS} FROM api_keys ORDER BY created_at`,
  params: () => [],
};

/** Every public id, revoked and expired keys included. */
export const LIST_PREFIXES: Statement<void, { prefix: string }> = {
  name: 'api_keys_list_prefixes',
  text: 'SELECT prefix FROM api_keys',
  params: () => [],
};

export const COUNT: Statement<void, { count: number }> = {
  name: 'api_keys_count',
  text: 'SELECT count(*)::int AS count FROM api_keys',
  params: () => [],
};

export const REVOKE: Statement<{ id: string; revokedAt: Date }, never> = {
  name: 'api_keys_revoke',
  text: 'UPDATE api_keys SET revoked_at = $2 WHERE id = $1',
  params: ({ id, revokedAt }) => [id, revokedAt],
};

export const SET_EXPIRY: Statement<{ id: string; expiresAt: Date }, never> = {
  name: 'api_keys_set_expiry',
  text: 'UPDATE api_keys SET expires_at = $2 WHERE id = $1',
  params: ({ id, expiresAt }) => [id, expiresAt],
};

/** The keys used since the last flush, in one statement. */
export const TOUCH_LAST_USED: Statement<{ ids: string[]; at: Date }, never> = {
  name: 'api_keys_touch_last_used',
  text: 'UPDATE api_keys SET last_used_at = $2 WHERE id = ANY($1::uuid[])',
  params: ({ ids, at }) => [ids, at],
};

import type { Tier } from 'src/auth/tier';
import type { Statement } from 'src/database/database';

/**
 * The SQL of `api_keys` kept as SQL: the request path's lookup, a prepared statement (ARCHITECTURE.md "Data
 * access"). Rows come back with the entity's (camelCase) field names.
 */

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

/** The request path's lookup (after the cache): by the hash of the presented key. */
export const FIND_BY_SECRET_HASH: Statement<{ secretHash: string }, ApiKeyRecord> = {
  name: 'api_keys_find_by_secret_hash',
  text: `SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = $1`,
  params: ({ secretHash }) => [secretHash],
};

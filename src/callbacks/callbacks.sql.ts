import type { Statement } from 'src/database/database';

/** The SQL of the consumed callback tokens (single use of Kernel's callbacks). */

export interface ConsumedToken {
  jti: string;
  purpose: string;
  subjectHash: string | null;
  expiresAt: Date;
}

/** Records the token as used; returns it only when no replica did before (otherwise a replay). */
export const CONSUME: Statement<ConsumedToken, { jti: string }> = {
  name: 'callbacks_consume',
  text: `INSERT INTO consumed_callback_tokens (jti, purpose, subject_hash, expires_at)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (jti) DO NOTHING
       RETURNING jti`,
  params: (token) => [token.jti, token.purpose, token.subjectHash, token.expiresAt],
};

/** One batch of tokens expired before `$1`. SKIP LOCKED: several replicas may purge at once without waiting. */
export const PURGE_EXPIRED: Statement<{ before: Date }, { count: number }> = {
  name: 'callbacks_purge_expired',
  text: `WITH purged AS (
         DELETE FROM consumed_callback_tokens WHERE jti IN (
           SELECT jti FROM consumed_callback_tokens WHERE expires_at < $1 LIMIT 10000 FOR UPDATE SKIP LOCKED
         ) RETURNING 1
       )
       SELECT count(*)::int AS count FROM purged`,
  params: ({ before }) => [before],
};

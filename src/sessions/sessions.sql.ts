import type { Statement } from 'src/database/database';

/** The SQL of browser sessions (docs/sessions.md). */

/** What a refresh or a lookup needs of a session row. */
export interface SessionRow {
  id: string;
  aura_id: string;
  audience: string;
  expires_at: Date;
}

/** A live session: not revoked, before its absolute end and used within the idle timeout (database clock). */
const LIVE = `NOT revoked AND expires_at > now() AND last_used_at > now() - make_interval(secs => $IDLE)`;
const live = (idleParameter: number) => LIVE.replace('$IDLE', `$${idleParameter}`);

/** A session as opened: only the refresh token's hash is stored. */
export interface NewSession {
  id: string;
  auraId: string;
  audience: string;
  refreshHash: string;
  lifetimeSeconds: number;
  userAgent: string | null;
}

export const INSERT: Statement<NewSession, SessionRow> = {
  name: 'sessions_insert',
  text: `INSERT INTO sessions (id, aura_id, audience, refresh_hash, expires_at, user_agent)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6)
       RETURNING id, aura_id, audience, expires_at`,
  params: (session) => [
    session.id,
    session.auraId,
    session.audience,
    session.refreshHash,
    session.lifetimeSeconds,
    session.userAgent,
  ],
};

/**
 * The presented token is the current one of a live session: it is replaced by the next one, and its hash
 * joins the session's rotated tokens (only those count as reuse later).
 */
export const ROTATE: Statement<
  { id: string; presentedHash: string; nextHash: string; idleSeconds: number },
  SessionRow
> = {
  name: 'sessions_rotate',
  text: `WITH changed AS (UPDATE sessions
          SET previous_refresh_hash = refresh_hash, refresh_hash = $3, rotated_at = now(), last_used_at = now()
        WHERE id = $1 AND refresh_hash = $2 AND ${live(4)}
        RETURNING id, aura_id, audience, expires_at),
       kept AS (INSERT INTO session_rotated_refresh_tokens (session_id, refresh_hash)
        SELECT id, $2 FROM changed ON CONFLICT DO NOTHING)
       SELECT * FROM changed`,
  params: ({ id, presentedHash, nextHash, idleSeconds }) => [id, presentedHash, nextHash, idleSeconds],
};

/** The presented token was rotated away less than the grace ago (another tab won the race). */
export const USE_WITHIN_GRACE: Statement<
  { id: string; presentedHash: string; graceSeconds: number; idleSeconds: number },
  SessionRow
> = {
  name: 'sessions_use_within_grace',
  text: `WITH changed AS (UPDATE sessions SET last_used_at = now()
        WHERE id = $1 AND previous_refresh_hash = $2 AND rotated_at > now() - make_interval(secs => $3) AND ${live(4)}
        RETURNING id, aura_id, audience, expires_at)
       SELECT * FROM changed`,
  params: ({ id, presentedHash, graceSeconds, idleSeconds }) => [id, presentedHash, graceSeconds, idleSeconds],
};

/**
 * Reuse: a token the session issued and rotated away was presented again. Returns the session if revoked
 * now. A value the session never issued (anyone can write `<sid>.<anything>`) matches nothing here.
 */
export const REVOKE_ON_REUSE: Statement<{ id: string; presentedHash: string }, { id: string }> = {
  name: 'sessions_revoke_on_reuse',
  text: `WITH changed AS (UPDATE sessions SET revoked = true, revoked_at = now()
        WHERE id = $1 AND NOT revoked AND refresh_hash <> $2
          AND EXISTS (SELECT 1 FROM session_rotated_refresh_tokens WHERE session_id = $1 AND refresh_hash = $2)
        RETURNING id)
       SELECT * FROM changed`,
  params: ({ id, presentedHash }) => [id, presentedHash],
};

/** Logout by refresh token: the session whose current or previous token it is. */
export const REVOKE_BY_REFRESH_HASH: Statement<{ id: string; presentedHash: string }, { id: string }> = {
  name: 'sessions_revoke_by_refresh_hash',
  text: `WITH changed AS (UPDATE sessions SET revoked = true, revoked_at = now()
        WHERE id = $1 AND NOT revoked AND (refresh_hash = $2 OR previous_refresh_hash = $2)
        RETURNING id)
       SELECT * FROM changed`,
  params: ({ id, presentedHash }) => [id, presentedHash],
};

/** The audience a session was opened for (any session, ended or not): checked before a refresh rotates. */
export const AUDIENCE: Statement<{ id: string }, { audience: string }> = {
  name: 'sessions_audience',
  text: 'SELECT audience FROM sessions WHERE id = $1',
  params: ({ id }) => [id],
};

/**
 * A live session of a valid user record, and until when it stays so unless something announces its end: its
 * absolute end, its idle timeout, or its user record's expiry (which no notification announces).
 */
export const IS_LIVE: Statement<{ id: string; auraId: string; idleSeconds: number }, { live_until: Date }> = {
  name: 'sessions_is_live',
  text: `SELECT least(s.expires_at, s.last_used_at + make_interval(secs => $3), u.expires_at) AS live_until
       FROM sessions s JOIN aura_users u ON u.aura_id = s.aura_id
      WHERE s.id = $1 AND s.aura_id = $2 AND NOT s.revoked AND s.expires_at > now()
        AND s.last_used_at > now() - make_interval(secs => $3) AND u.expires_at > now()`,
  params: ({ id, auraId, idleSeconds }) => [id, auraId, idleSeconds],
};

/** Up to `$3` ended sessions (expired, idle, or revoked longer ago than the grace), skipping locked rows. */
export const DELETE_ENDED_BATCH: Statement<
  { idleSeconds: number; graceSeconds: number; limit: number },
  { id: string }
> = {
  name: 'sessions_delete_ended_batch',
  text: `WITH changed AS (DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions
          WHERE expires_at <= now()
             OR last_used_at <= now() - make_interval(secs => $1)
             OR (revoked AND revoked_at <= now() - make_interval(secs => $2))
          LIMIT $3
          FOR UPDATE SKIP LOCKED)
       RETURNING id)
       SELECT * FROM changed`,
  params: ({ idleSeconds, graceSeconds, limit }) => [idleSeconds, graceSeconds, limit],
};

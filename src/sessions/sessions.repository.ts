import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

/** What a refresh or a lookup needs of a session row. */
export interface SessionRow {
  id: string;
  aura_id: string;
  audience: string;
  expires_at: Date;
}

export interface NewSession {
  id: string;
  auraId: string;
  audience: string;
  refreshHash: string;
  lifetimeSeconds: number;
  userAgent: string | null;
}

/** A live session: not revoked, before its absolute end and used within the idle timeout (database clock). */
const LIVE = `NOT revoked AND expires_at > now() AND last_used_at > now() - make_interval(secs => $IDLE)`;
const live = (idleParameter: number) => LIVE.replace('$IDLE', `$${idleParameter}`);

/**
 * Session rows. Every transition of a refresh token is one conditional UPDATE, so concurrent refreshes
 * serialise on the row lock and each sees the other's result (docs/sessions.md "Rotation").
 */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(session: NewSession, manager?: EntityManager): Promise<SessionRow> {
    const rows = await (manager ?? this.dataSource).query<SessionRow[]>(
      `INSERT INTO sessions (id, aura_id, audience, refresh_hash, expires_at, user_agent)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6)
       RETURNING id, aura_id, audience, expires_at`,
      [session.id, session.auraId, session.audience, session.refreshHash, session.lifetimeSeconds, session.userAgent],
    );
    return rows[0];
  }

  /** The presented token is the current one of a live session: it is replaced by `nextHash`. */
  async rotate(
    id: string,
    presentedHash: string,
    nextHash: string,
    idleSeconds: number,
  ): Promise<SessionRow | undefined> {
    const rows = await this.dataSource.query<SessionRow[]>(
      `WITH changed AS (UPDATE sessions
          SET previous_refresh_hash = refresh_hash, refresh_hash = $3, rotated_at = now(), last_used_at = now()
        WHERE id = $1 AND refresh_hash = $2 AND ${live(4)}
        RETURNING id, aura_id, audience, expires_at)
       SELECT * FROM changed`,
      [id, presentedHash, nextHash, idleSeconds],
    );
    return rows[0];
  }

  /** The presented token was rotated away less than `graceSeconds` ago (another tab won the race). */
  async useWithinGrace(
    id: string,
    presentedHash: string,
    graceSeconds: number,
    idleSeconds: number,
  ): Promise<SessionRow | undefined> {
    const rows = await this.dataSource.query<SessionRow[]>(
      `WITH changed AS (UPDATE sessions SET last_used_at = now()
        WHERE id = $1 AND previous_refresh_hash = $2 AND rotated_at > now() - make_interval(secs => $3) AND ${live(4)}
        RETURNING id, aura_id, audience, expires_at)
       SELECT * FROM changed`,
      [id, presentedHash, graceSeconds, idleSeconds],
    );
    return rows[0];
  }

  /**
   * Reuse: a token of this session that is not its current one (and, by now, not within the grace) was
   * presented. The whole session is revoked. True when this call revoked it.
   */
  async revokeOnReuse(id: string, presentedHash: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `WITH changed AS (UPDATE sessions SET revoked = true, revoked_at = now()
        WHERE id = $1 AND NOT revoked AND refresh_hash <> $2
        RETURNING id)
       SELECT * FROM changed`,
      [id, presentedHash],
    );
    return rows.length > 0;
  }

  /** Logout by refresh token: the session whose current or previous token it is. */
  async revokeByRefreshHash(id: string, presentedHash: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `WITH changed AS (UPDATE sessions SET revoked = true, revoked_at = now()
        WHERE id = $1 AND NOT revoked AND (refresh_hash = $2 OR previous_refresh_hash = $2)
        RETURNING id)
       SELECT * FROM changed`,
      [id, presentedHash],
    );
    return rows.length > 0;
  }

  /** Logout by access token (its `sid`), or any other revocation of one session. */
  async revoke(id: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `WITH changed AS (UPDATE sessions SET revoked = true, revoked_at = now() WHERE id = $1 AND NOT revoked RETURNING id)
       SELECT * FROM changed`,
      [id],
    );
    return rows.length > 0;
  }

  async isLive(id: string, auraId: string, idleSeconds: number): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM sessions WHERE id = $1 AND aura_id = $2 AND ${live(3)}`,
      [id, auraId, idleSeconds],
    );
    return rows.length > 0;
  }

  /**
   * Deletes up to `limit` ended sessions (expired, idle, or revoked longer ago than the grace), skipping rows
   * another replica's sweep holds.
   */
  async deleteEndedBatch(idleSeconds: number, graceSeconds: number, limit: number): Promise<number> {
    const rows = await this.dataSource.query<unknown[]>(
      `WITH changed AS (DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions
          WHERE expires_at <= now()
             OR last_used_at <= now() - make_interval(secs => $1)
             OR (revoked AND revoked_at <= now() - make_interval(secs => $2))
          LIMIT $3
          FOR UPDATE SKIP LOCKED)
       RETURNING id)
       SELECT * FROM changed`,
      [idleSeconds, graceSeconds, limit],
    );
    return rows.length;
  }
}

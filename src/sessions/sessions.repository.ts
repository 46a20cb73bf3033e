import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Database, onTx, type Tx } from 'src/database/database';
import { Session } from 'src/sessions/session.entity';
import {
  AUDIENCE,
  DELETE_ENDED_BATCH,
  INSERT,
  IS_LIVE,
  REVOKE_BY_REFRESH_HASH,
  REVOKE_ON_REUSE,
  ROTATE,
  type NewSession,
  type SessionRow,
  USE_WITHIN_GRACE,
} from 'src/sessions/sessions.sql';

export type { NewSession, SessionRow } from 'src/sessions/sessions.sql';

/**
 * `sessions`, and the hashes of the refresh tokens they rotated away (`session_rotated_refresh_tokens`, written
 * only by the rotation and read only by the reuse check). Every transition of a refresh token is one
 * conditional UPDATE (sessions.sql.ts), so concurrent refreshes serialise on the row lock and each sees the
 * other's result (docs/sessions.md "Rotation"); the opening, the liveness check and the sweep are statements
 * too (database clock, SKIP LOCKED), and so is the audience a refresh checks. A plain revocation goes through
 * TypeORM's repository.
 */
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly db: Database,
  ) {}

  async insert(session: NewSession, tx?: Tx): Promise<SessionRow> {
    const [row] = await this.db.run(INSERT, session, tx);
    return row;
  }

  /** The presented token is the current one of a live session: it is replaced by `nextHash`. */
  rotate(id: string, presentedHash: string, nextHash: string, idleSeconds: number): Promise<SessionRow | undefined> {
    return this.db.one(ROTATE, { id, presentedHash, nextHash, idleSeconds });
  }

  /** The presented token was rotated away less than `graceSeconds` ago (another tab won the race). */
  useWithinGrace(
    id: string,
    presentedHash: string,
    graceSeconds: number,
    idleSeconds: number,
  ): Promise<SessionRow | undefined> {
    return this.db.one(USE_WITHIN_GRACE, { id, presentedHash, graceSeconds, idleSeconds });
  }

  /**
   * Reuse: a token this session issued and rotated away (and, by now, not within the grace) was presented.
   * The whole session is revoked. True when this call revoked it; false for a value it never issued.
   */
  async revokeOnReuse(id: string, presentedHash: string): Promise<boolean> {
    const rows = await this.db.run(REVOKE_ON_REUSE, { id, presentedHash });
    return rows.length > 0;
  }

  /** Logout by refresh token: the session whose current or previous token it is. */
  async revokeByRefreshHash(id: string, presentedHash: string): Promise<boolean> {
    const rows = await this.db.run(REVOKE_BY_REFRESH_HASH, { id, presentedHash });
    return rows.length > 0;
  }

  /** Logout by access token (its `sid`), or any other revocation of one session. */
  async revoke(id: string, tx?: Tx): Promise<boolean> {
    const result = await onTx(this.sessions, tx).update(
      { id, revoked: false },
      { revoked: true, revokedAt: () => 'now()' },
    );
    return (result.affected ?? 0) > 0;
  }

  /** The audience the session was opened for; undefined for an unknown session. A statement: refreshes read it. */
  async audienceOf(id: string): Promise<string | undefined> {
    return (await this.db.one(AUDIENCE, { id }))?.audience;
  }

  /** Until when the session (and its user record) stays live, by the database clock; undefined if it has ended. */
  async liveUntil(id: string, auraId: string, idleSeconds: number): Promise<Date | undefined> {
    return (await this.db.one(IS_LIVE, { id, auraId, idleSeconds }))?.live_until;
  }

  async isLive(id: string, auraId: string, idleSeconds: number): Promise<boolean> {
    return (await this.liveUntil(id, auraId, idleSeconds)) !== undefined;
  }

  /**
   * Deletes up to `limit` ended sessions (expired, idle, or revoked longer ago than the grace), skipping rows
   * another replica's sweep holds.
   */
  async deleteEndedBatch(idleSeconds: number, graceSeconds: number, limit: number): Promise<number> {
    const rows = await this.db.run(DELETE_ENDED_BATCH, { idleSeconds, graceSeconds, limit });
    return rows.length;
  }
}

import { Injectable } from '@nestjs/common';
import { SessionsSettings } from 'src/sessions/sessions.settings';
import { Invalidations } from 'src/invalidation/invalidations';
import type { SessionPrincipal } from 'src/sessions/access-tokens';
import { SessionsRepository } from 'src/sessions/sessions.repository';

/** The invalidation kind of an ended session (id: the session id); sent by the database (docs/revocation.md). */
export const SESSION_INVALIDATION = 'session';

/** Access tokens are checked against the clock of the replica that reads them: room for clock skew. */
const SKEW_MS = 5_000;
/** Sessions confirmed live: a cache only (evicting one costs a query), so its size is capped. */
const MAX_CONFIRMED = 100_000;

/**
 * Which sessions this replica must refuse although their access token verifies (docs/revocation.md).
 *
 * - Revoked: the ids announced on the invalidation channel (the database announces every end of a live session)
 *   or revoked by this process, each kept as long as an access token issued before its revocation can live.
 * - Confirmed: sessions a query found live while this replica listened without interruption; any later end is
 *   announced, so they are trusted from memory — but never past the moment the session or its user record
 *   expires of itself (no notification announces that). Emptied whenever notifications may have been missed (the
 *   listening connection dropped or came back, and at start): the next request of each session asks the database
 *   once, and every request does while not listening.
 */
@Injectable()
export class SessionRevocations {
  private readonly revoked: ExpiringSet;
  private readonly confirmed: ExpiringSet;
  /** Changes at every reset: a query begun before one cannot confirm a session after it. */
  private epoch = 0;
  private readonly idleSeconds: number;

  constructor(
    private readonly invalidations: Invalidations,
    private readonly repository: SessionsRepository,
    config: SessionsSettings,
  ) {
    const keepMs = config.SESSION_ACCESS_TTL_SECONDS * 1000 + SKEW_MS;
    this.revoked = new ExpiringSet(keepMs);
    this.confirmed = new ExpiringSet(keepMs, MAX_CONFIRMED);
    this.idleSeconds = config.SESSION_IDLE_TIMEOUT_SECONDS;
    invalidations.on(SESSION_INVALIDATION, (sessionId) => this.revoke(sessionId));
    invalidations.onReset(() => {
      this.epoch += 1;
      this.confirmed.clear();
    });
  }

  /** Refused from now on by this replica; the others learn it from the database's notification. */
  revoke(sessionId: string): void {
    this.confirmed.delete(sessionId);
    this.revoked.add(sessionId);
  }

  /** Known here to be revoked: memory only. */
  isKnownRevoked(sessionId: string): boolean {
    return this.revoked.has(sessionId);
  }

  /** Whether the session of a verified token has ended: from memory, or one query when memory cannot tell. */
  async hasEnded(principal: SessionPrincipal): Promise<boolean> {
    const { sessionId } = principal;
    if (this.revoked.has(sessionId)) {
      return true;
    }
    const listening = this.invalidations.listening;
    if (listening && this.confirmed.has(sessionId)) {
      return false;
    }
    const epoch = this.epoch;
    const liveUntil = await this.repository.liveUntil(sessionId, principal.auraId, this.idleSeconds);
    if (liveUntil === undefined) {
      this.revoke(sessionId);
    } else if (listening && epoch === this.epoch && this.invalidations.listening && !this.revoked.has(sessionId)) {
      // Trusted from memory only until the session or its user record would end of itself: no one announces that.
      this.confirmed.add(sessionId, liveUntil.getTime());
    }
    return liveUntil === undefined;
  }
}

/**
 * Ids kept for a fixed time (or less). A Map keeps insertion order, and most entries live as long, so the oldest
 * are at the front: expired ones are dropped from there as new ones come (and over `max`, the oldest); one that
 * ends sooner is refused by `has` and goes when it reaches the front.
 */
class ExpiringSet {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly keepMs: number,
    private readonly max = Number.POSITIVE_INFINITY,
  ) {}

  /** Kept `keepMs`, or less when `notAfter` (epoch ms) comes sooner. */
  add(id: string, notAfter = Number.POSITIVE_INFINITY): void {
    const now = Date.now();
    this.until.delete(id);
    this.until.set(id, Math.min(now + this.keepMs, notAfter));
    for (const [oldest, until] of this.until) {
      if (until > now && this.until.size <= this.max) {
        break;
      }
      this.until.delete(oldest);
    }
  }

  has(id: string): boolean {
    const until = this.until.get(id);
    return until !== undefined && until > Date.now();
  }

  delete(id: string): void {
    this.until.delete(id);
  }

  clear(): void {
    this.until.clear();
  }
}

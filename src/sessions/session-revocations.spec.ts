import type { Database } from 'src/database/database';
import type { SessionsSettings } from 'src/sessions/sessions.settings';
import { Invalidations } from 'src/invalidation/invalidations';
import type { SessionPrincipal } from 'src/sessions/access-tokens';
import { SESSION_INVALIDATION, SessionRevocations } from 'src/sessions/session-revocations';
import type { SessionsRepository } from 'src/sessions/sessions.repository';

const TTL_SECONDS = 600;
const principal = (sessionId: string): SessionPrincipal => ({
  auraId: 'aura-1',
  sessionId,
  audience: 'app',
  roles: [],
});

/** The repository's liveness query, answered from a set of live session ids, counting its calls. */
class FakeRepository {
  readonly live = new Set<string>();
  queries = 0;
  pending?: () => void;

  /** Live for a day, unless `endsAt` says sooner. */
  endsAt?: number;

  async liveUntil(id: string): Promise<Date | undefined> {
    this.queries += 1;
    if (this.pending !== undefined) {
      await new Promise<void>((resolve) => (this.pending = resolve));
    }
    return this.live.has(id) ? new Date(this.endsAt ?? Date.now() + 86_400_000) : undefined;
  }
}

describe('SessionRevocations', () => {
  let invalidations: Invalidations;
  let repository: FakeRepository;
  let revocations: SessionRevocations;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-12-01T00:00:00Z') });
    // Publishing is not exercised here: only the handlers and the listening state.
    invalidations = new Invalidations({} as Database);
    repository = new FakeRepository();
    revocations = new SessionRevocations(
      invalidations,
      repository as unknown as SessionsRepository,
      {
        SESSION_ACCESS_TTL_SECONDS: TTL_SECONDS,
        SESSION_IDLE_TIMEOUT_SECONDS: 3600,
      } as SessionsSettings,
    );
    invalidations.setListening(true);
    repository.live.add('s1');
  });
  afterEach(() => jest.useRealTimers());

  it('should ask the database once per session while listening, then answer from memory', async () => {
    expect(await revocations.hasEnded(principal('s1'))).toBe(false);
    expect(await revocations.hasEnded(principal('s1'))).toBe(false);
    expect(repository.queries).toBe(1);
  });

  it('should not trust its memory past the moment the session or its user record ends of itself', async () => {
    repository.endsAt = Date.now() + 2_000;
    expect(await revocations.hasEnded(principal('s1'))).toBe(false);
    expect(await revocations.hasEnded(principal('s1'))).toBe(false);
    expect(repository.queries).toBe(1);
    // The user record expires: nothing is announced, yet the next request asks the database again.
    jest.advanceTimersByTime(2_001);
    repository.live.delete('s1');
    expect(await revocations.hasEnded(principal('s1'))).toBe(true);
    expect(repository.queries).toBe(2);
  });

  it('should refuse a confirmed session as soon as its end is announced, without a query', async () => {
    await revocations.hasEnded(principal('s1'));
    invalidations.apply(SESSION_INVALIDATION, 's1');
    expect(await revocations.hasEnded(principal('s1'))).toBe(true);
    expect(revocations.isKnownRevoked('s1')).toBe(true);
    expect(repository.queries).toBe(1);
  });

  it('should remember a revocation as long as an access token issued before it can live, then forget it', () => {
    revocations.revoke('s2');
    jest.advanceTimersByTime(TTL_SECONDS * 1000);
    expect(revocations.isKnownRevoked('s2')).toBe(true);
    jest.advanceTimersByTime(10_000);
    expect(revocations.isKnownRevoked('s2')).toBe(false);
  });

  it('should ask on every request while not listening, and once more per session after listening again', async () => {
    await revocations.hasEnded(principal('s1'));
    invalidations.setListening(false);
    await revocations.hasEnded(principal('s1'));
    await revocations.hasEnded(principal('s1'));
    expect(repository.queries).toBe(3);
    invalidations.setListening(true);
    await revocations.hasEnded(principal('s1'));
    await revocations.hasEnded(principal('s1'));
    expect(repository.queries).toBe(4);
  });

  it('should refuse a session the database no longer holds live, and not ask again', async () => {
    expect(await revocations.hasEnded(principal('gone'))).toBe(true);
    expect(await revocations.hasEnded(principal('gone'))).toBe(true);
    expect(repository.queries).toBe(1);
  });

  it('should not confirm a session from a query begun before the listening connection dropped', async () => {
    repository.pending = () => undefined;
    const asking = revocations.hasEnded(principal('s1'));
    invalidations.setListening(false);
    invalidations.setListening(true);
    repository.pending();
    expect(await asking).toBe(false);
    repository.pending = undefined;
    await revocations.hasEnded(principal('s1'));
    expect(repository.queries).toBe(2);
  });
});

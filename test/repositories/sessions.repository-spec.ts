import { randomUUID } from 'node:crypto';
import { hashRefreshToken, newSessionId } from 'src/sessions/refresh-token';
import { SubscriptionType } from 'src/users/user.entity';
import { openRepositories, type Repositories } from './repository-database';

const IDLE = 3600;
const GRACE = 30;
const hash = () => hashRefreshToken(randomUUID());

describe('SessionsRepository (real database)', () => {
  let r: Repositories;
  let auraId: string;

  const open = async (overrides: { lifetimeSeconds?: number } = {}) => {
    const session = {
      id: newSessionId(),
      auraId,
      audience: 'app',
      refreshHash: hash(),
      lifetimeSeconds: overrides.lifetimeSeconds ?? 86_400,
      userAgent: 'jest',
    };
    await r.sessions.insert(session);
    return session;
  };

  beforeAll(async () => {
    r = await openRepositories();
    auraId = `s-${randomUUID()}`;
    await r.users.getOrCreateKernelUser(
      {
        auraId,
        auraIdGlobal: 'g',
        userId: randomUUID(),
        channel: 'web',
        phoneNumber: null,
        authorizationId: randomUUID(),
        subscriptionType: SubscriptionType.Prepaid,
        expiresAt: null,
      },
      30,
    );
  });
  afterAll(() => r.close());

  it('should open a session and report it live until its earliest end, and its audience', async () => {
    const session = await open();
    const liveUntil = await r.sessions.liveUntil(session.id, auraId, IDLE);
    expect(liveUntil).toBeInstanceOf(Date);
    expect(await r.sessions.isLive(session.id, auraId, IDLE)).toBe(true);
    expect(await r.sessions.isLive(session.id, 'someone-else', IDLE)).toBe(false);
    expect(await r.sessions.audienceOf(session.id)).toBe('app');
    expect(await r.sessions.audienceOf(newSessionId())).toBeUndefined();
  });

  it('should open a session inside a transaction', async () => {
    const id = newSessionId();
    const row = await r.database.transaction((tx) =>
      r.sessions.insert({ id, auraId, audience: 'web', refreshHash: hash(), lifetimeSeconds: 60, userAgent: null }, tx),
    );
    expect(row).toEqual(expect.objectContaining({ id, aura_id: auraId, audience: 'web' }));
  });

  it('should rotate the current token once, accept the previous one within the grace, and revoke on reuse', async () => {
    const session = await open();
    const next = hash();
    expect(await r.sessions.rotate(session.id, session.refreshHash, next, IDLE)).toEqual(
      expect.objectContaining({ id: session.id }),
    );
    expect(await r.sessions.rotate(session.id, session.refreshHash, hash(), IDLE)).toBeUndefined();
    expect(await r.sessions.useWithinGrace(session.id, session.refreshHash, GRACE, IDLE)).toBeDefined();
    expect(await r.sessions.useWithinGrace(session.id, session.refreshHash, 0, IDLE)).toBeUndefined();
    expect(await r.sessions.revokeOnReuse(session.id, hash())).toBe(false);
    expect(await r.sessions.revokeOnReuse(session.id, session.refreshHash)).toBe(true);
    expect(await r.sessions.isLive(session.id, auraId, IDLE)).toBe(false);
  });

  it('should rotate once when two refreshes of the same token race', async () => {
    const session = await open();
    const results = await Promise.all([
      r.sessions.rotate(session.id, session.refreshHash, hash(), IDLE),
      r.sessions.rotate(session.id, session.refreshHash, hash(), IDLE),
    ]);
    expect(results.filter((row) => row !== undefined)).toHaveLength(1);
    const rotated = await r.query('SELECT refresh_hash FROM session_rotated_refresh_tokens WHERE session_id = $1', [
      session.id,
    ]);
    expect(rotated).toEqual([{ refresh_hash: session.refreshHash }]);
  });

  it('should revoke by refresh token (current or previous), by id once, and within a transaction', async () => {
    const session = await open();
    expect(await r.sessions.revokeByRefreshHash(session.id, hash())).toBe(false);
    expect(await r.sessions.revokeByRefreshHash(session.id, session.refreshHash)).toBe(true);
    const other = await open();
    expect(await r.sessions.revoke(other.id)).toBe(true);
    expect(await r.sessions.revoke(other.id)).toBe(false);
    const third = await open();
    expect(await r.database.transaction((tx) => r.sessions.revoke(third.id, tx))).toBe(true);
    expect(await r.sessions.isLive(third.id, auraId, IDLE)).toBe(false);
  });

  it('should sweep ended sessions (expired, revoked past the grace) in batches and leave the others', async () => {
    const ended = await open({ lifetimeSeconds: 0 });
    const live = await open();
    const revoked = await open();
    await r.sessions.revoke(revoked.id);
    await r.query(`UPDATE sessions SET revoked_at = now() - interval '1 hour' WHERE id = $1`, [revoked.id]);
    const revokedNow = await open();
    await r.sessions.revoke(revokedNow.id);
    let swept = 0;
    for (
      let batch = await r.sessions.deleteEndedBatch(IDLE, GRACE, 1);
      batch > 0;
      batch = await r.sessions.deleteEndedBatch(IDLE, GRACE, 1)
    ) {
      swept += batch;
    }
    expect(swept).toBeGreaterThanOrEqual(2);
    expect(await r.sessions.audienceOf(ended.id)).toBeUndefined();
    expect(await r.sessions.audienceOf(revoked.id)).toBeUndefined();
    // Revoked within the grace: kept a while (a late refresh of it is still told apart from an unknown one).
    expect(await r.sessions.audienceOf(revokedNow.id)).toBe('app');
    expect(await r.sessions.audienceOf(live.id)).toBe('app');
  });
});

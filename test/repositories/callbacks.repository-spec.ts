import { randomUUID } from 'node:crypto';
import { openRepositories, type Repositories } from './repository-database';

const token = (overrides: Partial<{ subjectHash: string | null; expiresAt: Date }> = {}) => ({
  jti: randomUUID(),
  purpose: 'login',
  subjectHash: 'a'.repeat(64),
  expiresAt: new Date(Date.now() + 60_000),
  ...overrides,
});

describe('CallbacksRepository (real database)', () => {
  let r: Repositories;

  beforeAll(async () => {
    r = await openRepositories();
  });
  afterAll(() => r.close());

  it('should consume a token once: a replay, even a concurrent one, is refused', async () => {
    const used = token();
    const results = await Promise.all([
      r.database.transaction((tx) => r.callbacks.consume(used, tx)),
      r.database.transaction((tx) => r.callbacks.consume(used, tx)),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await r.database.transaction((tx) => r.callbacks.consume(used, tx))).toBe(false);
  });

  it("should unlink a person's tokens on erasure, keeping the rows", async () => {
    const subjectHash = 'b'.repeat(64);
    const tokens = [token({ subjectHash }), token({ subjectHash })];
    await r.database.transaction(async (tx) => {
      for (const each of tokens) {
        await r.callbacks.consume(each, tx);
      }
    });
    expect(await r.database.transaction((tx) => r.callbacks.eraseBySubject(subjectHash, tx))).toBe(2);
    const rows = await r.query('SELECT subject_hash FROM consumed_callback_tokens WHERE jti = ANY($1)', [
      tokens.map((each) => each.jti),
    ]);
    expect(rows).toEqual([{ subject_hash: null }, { subject_hash: null }]);
    expect(await r.database.transaction((tx) => r.callbacks.eraseBySubject(subjectHash, tx))).toBe(0);
  });

  it('should purge tokens expired before a time, and keep the others', async () => {
    const expired = token({ expiresAt: new Date(Date.now() - 60_000) });
    const live = token();
    await r.database.transaction(async (tx) => {
      await r.callbacks.consume(expired, tx);
      await r.callbacks.consume(live, tx);
    });
    expect(await r.callbacks.purgeExpired(new Date())).toBeGreaterThanOrEqual(1);
    const left = await r.query<{ jti: string }>('SELECT jti FROM consumed_callback_tokens WHERE jti = ANY($1)', [
      [expired.jti, live.jti],
    ]);
    expect(left).toEqual([{ jti: live.jti }]);
  });
});

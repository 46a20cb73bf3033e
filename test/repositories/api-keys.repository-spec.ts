import { randomUUID } from 'node:crypto';
import { Tier } from 'src/auth/tier';
import { openRepositories, type Repositories } from './repository-database';

const newKey = (overrides: Partial<{ channel: string | null; expiresAt: Date | null }> = {}) => {
  const id = randomUUID();
  return {
    id,
    name: `key ${id}`,
    prefix: `aak_test_${id.slice(0, 8)}`,
    secretHash: randomUUID().replace(/-/g, '').padEnd(64, '0'),
    tier: Tier.Internal,
    channel: null,
    rotatedFromId: null,
    expiresAt: null,
    ...overrides,
  };
};

describe('ApiKeysRepository (real database)', () => {
  let r: Repositories;

  beforeAll(async () => {
    r = await openRepositories();
  });
  afterAll(() => r.close());

  it('should insert a key and find it by secret hash, id and prefix', async () => {
    const key = newKey({ channel: 'web' });
    await r.apiKeys.insert(key);
    const found = await r.apiKeys.findBySecretHash(key.secretHash);
    expect(found).toEqual(
      expect.objectContaining({ id: key.id, tier: Tier.Internal, channel: 'web', revokedAt: null }),
    );
    expect(found?.createdAt).toBeInstanceOf(Date);
    expect((await r.apiKeys.findByReference(key.id))?.prefix).toBe(key.prefix);
    expect((await r.apiKeys.findByReference(key.prefix))?.id).toBe(key.id);
    expect(await r.apiKeys.findByReference('aak_test_unknown')).toBeUndefined();
    expect(await r.apiKeys.findBySecretHash('f'.repeat(64))).toBeUndefined();
  });

  it('should list keys oldest first, their prefixes, and count them', async () => {
    const keys = [newKey(), newKey()];
    for (const key of keys) {
      await r.apiKeys.insert(key);
    }
    const listed = (await r.apiKeys.list()).map((key) => key.id);
    expect(listed.indexOf(keys[0].id)).toBeLessThan(listed.indexOf(keys[1].id));
    expect(await r.apiKeys.listPrefixes()).toEqual(expect.arrayContaining(keys.map((key) => key.prefix)));
    expect(await r.apiKeys.count()).toBe(listed.length);
  });

  it('should lock, revoke and set the expiry of a key within a transaction', async () => {
    const key = newKey();
    await r.apiKeys.insert(key);
    const revokedAt = new Date(Date.now() - 1000);
    const expiresAt = new Date(Date.now() + 60_000);
    await r.database.transaction(async (tx) => {
      expect((await r.apiKeys.findByReference(key.prefix, tx))?.id).toBe(key.id);
      await r.apiKeys.revoke(key.id, revokedAt, tx);
      await r.apiKeys.setExpiry(key.id, expiresAt, tx);
    });
    const found = await r.apiKeys.findBySecretHash(key.secretHash);
    expect(found?.revokedAt?.getTime()).toBe(revokedAt.getTime());
    expect(found?.expiresAt?.getTime()).toBe(expiresAt.getTime());
  });

  it('should roll back an insert with its transaction', async () => {
    const key = newKey();
    await expect(
      r.database.transaction(async (tx) => {
        await r.apiKeys.insert(key, tx);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await r.apiKeys.findBySecretHash(key.secretHash)).toBeUndefined();
  });

  it('should record the last use of several keys in one update', async () => {
    const keys = [newKey(), newKey()];
    for (const key of keys) {
      await r.apiKeys.insert(key);
    }
    const at = new Date();
    await r.apiKeys.touchLastUsed([], at);
    await r.apiKeys.touchLastUsed(
      keys.map((key) => key.id),
      at,
    );
    for (const key of keys) {
      expect((await r.apiKeys.findBySecretHash(key.secretHash))?.lastUsedAt?.getTime()).toBe(at.getTime());
    }
  });
});

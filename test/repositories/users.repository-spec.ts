import { randomUUID } from 'node:crypto';
import { AuditAction } from 'src/audit/audit.service';
import { PersonalDataCipher } from 'src/users/personal-data';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { AuraUser, SubscriptionType, UserType } from 'src/users/user.entity';
import { UserSealing } from 'src/users/user-sealing';
import { AuraIdTakenError, AuthorizationAlreadyLinkedError, UsersRepository } from 'src/users/users.repository';
import { UsersSettings } from 'src/users/users.settings';
import { openRepositories, type Repositories } from './repository-database';

const PHONE = '+34600111222';
const TTL = 30;
const id = (prefix: string) => `${prefix}-${randomUUID()}`;

const kernelUser = (overrides: Partial<Parameters<UsersRepository['getOrCreateKernelUser']>[0]> = {}) => ({
  auraId: id('k'),
  auraIdGlobal: id('g'),
  userId: id('u'),
  channel: 'web',
  phoneNumber: PHONE,
  authorizationId: id('a'),
  subscriptionType: SubscriptionType.Postpaid,
  expiresAt: null,
  ...overrides,
});

describe('UsersRepository (real database)', () => {
  let r: Repositories;
  const expire = (auraId: string, daysAgo = 0) =>
    r.query(
      `UPDATE aura_users SET expires_at = now() - make_interval(days => $2) - interval '1 second' WHERE aura_id = $1`,
      [auraId, daysAgo],
    );
  const count = async (where: string, parameters: unknown[]) =>
    (await r.query<{ count: number }>(`SELECT count(*)::int AS count FROM aura_users WHERE ${where}`, parameters))[0]
      .count;

  beforeAll(async () => {
    r = await openRepositories();
  });
  afterAll(() => r.close());

  describe('lookup', () => {
    it('should find a user by auraId with its personal data opened, and say whether it expired', async () => {
      const user = kernelUser();
      await r.users.getOrCreateKernelUser(user, TTL);
      const found = await r.users.findByAuraId(user.auraId);
      expect(found).toEqual({
        user: expect.objectContaining({ aura_id: user.auraId, phone_number: PHONE }),
        expired: false,
      });
      const [stored] = await r.query<{ phone_number: string }>(
        'SELECT phone_number FROM aura_users WHERE aura_id = $1',
        [user.auraId],
      );
      expect(stored.phone_number).not.toContain(PHONE);
      await expire(user.auraId);
      expect((await r.users.findByAuraId(user.auraId))?.expired).toBe(true);
      expect(await r.users.findByAuraId('nobody')).toBeUndefined();
    });
  });

  describe('Kernel get-or-create', () => {
    it('should create once and return the same record for the same session key', async () => {
      const user = kernelUser();
      const created = await r.users.getOrCreateKernelUser(user, TTL);
      expect(created).toEqual({ user: expect.objectContaining({ aura_id: user.auraId }), created: true });
      const again = await r.users.getOrCreateKernelUser({ ...user, auraId: id('other') }, TTL);
      expect(again).toEqual({ user: expect.objectContaining({ aura_id: user.auraId }), created: false });
    });

    it('should replace an expired record with a new auraId for the same session key', async () => {
      const user = kernelUser();
      await r.users.getOrCreateKernelUser(user, TTL);
      await expire(user.auraId);
      const renewed = await r.users.getOrCreateKernelUser({ ...user, auraId: id('new') }, TTL);
      expect(renewed?.created).toBe(true);
      expect(renewed?.user.aura_id).not.toBe(user.auraId);
      expect(await count('user_id = $1', [user.userId])).toBe(1);
    });

    it('should keep one row when two get-or-creates of the same user race', async () => {
      const user = kernelUser();
      const results = await Promise.all([
        r.users.getOrCreateKernelUser({ ...user, auraId: id('x') }, TTL),
        r.users.getOrCreateKernelUser({ ...user, auraId: id('y') }, TTL),
      ]);
      expect(await count('user_id = $1', [user.userId])).toBe(1);
      const returned = results.filter((result) => result !== undefined);
      expect(returned.filter((result) => result.created)).toHaveLength(1);
      expect(new Set(returned.map((result) => result.user.aura_id)).size).toBe(1);
    });

    it('should refuse an auraId another session already holds', async () => {
      const user = kernelUser();
      await r.users.getOrCreateKernelUser(user, TTL);
      await expect(r.users.getOrCreateKernelUser(kernelUser({ auraId: user.auraId }), TTL)).rejects.toBeInstanceOf(
        AuraIdTakenError,
      );
    });

    it('should run inside a transaction and roll back with it', async () => {
      const user = kernelUser();
      await expect(
        r.database.transaction(async (tx) => {
          await r.users.getOrCreateKernelUser(user, TTL, tx);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect(await r.users.findByAuraId(user.auraId)).toBeUndefined();
    });
  });

  describe('identifiable get-or-create', () => {
    const identifiable = () => ({
      auraId: id('w'),
      auraIdGlobal: id('g'),
      userId: id('u'),
      channel: 'whatsapp',
      phoneNumber: PHONE,
    });

    it('should create, return the existing one, and renew an expired one of the same channel', async () => {
      const user = identifiable();
      expect((await r.users.getOrCreateIdentifiableUser(user, TTL))?.created).toBe(true);
      expect((await r.users.getOrCreateIdentifiableUser(user, TTL))?.created).toBe(false);
      await expire(user.auraId);
      const renewed = await r.users.getOrCreateIdentifiableUser(user, TTL);
      expect(renewed).toEqual({ user: expect.objectContaining({ aura_id: user.auraId }), created: true });
      expect((await r.users.findByAuraId(user.auraId))?.expired).toBe(false);
    });

    it("should return another channel's record as it is, expired or not", async () => {
      const user = identifiable();
      await r.users.getOrCreateIdentifiableUser(user, TTL);
      await expire(user.auraId);
      const other = await r.users.getOrCreateIdentifiableUser({ ...user, channel: 'web' }, TTL);
      expect(other).toEqual({ user: expect.objectContaining({ channel: 'whatsapp' }), created: false });
    });

    it('should keep one row when two get-or-creates of the same auraId race', async () => {
      const user = identifiable();
      const results = await Promise.all([
        r.users.getOrCreateIdentifiableUser(user, TTL),
        r.users.getOrCreateIdentifiableUser(user, TTL),
      ]);
      expect(await count('aura_id = $1', [user.auraId])).toBe(1);
      expect(results.filter((result) => result?.created)).toHaveLength(1);
    });
  });

  describe('authenticated upsert', () => {
    const authenticated = () => ({
      ...kernelUser({ channel: 'whatsapp' }),
      authenticationContext: { loa: 2, msisdn: '+34600999888' },
      kernelAuraIdGlobal: null,
    });

    it('should create, then upgrade the same record, sealing the context and indexing the numbers it mentions', async () => {
      const user = authenticated();
      expect((await r.users.upsertAuthenticatedUser(user, TTL))?.created).toBe(true);
      const updated = await r.users.upsertAuthenticatedUser(
        { ...user, phoneNumber: null, kernelAuraIdGlobal: 'kernel-g' },
        TTL,
      );
      expect(updated).toEqual({
        user: expect.objectContaining({
          phone_number: PHONE,
          aura_id_global: 'kernel-g',
          authentication_context: user.authenticationContext,
        }),
        created: false,
      });
      const erased = await r.database.transaction((tx) => r.users.eraseByPhoneNumber('+34600999888', tx));
      expect(erased.auraIds).toEqual([user.auraId]);
    });

    it("should leave another channel's record alone, and refuse a second auraId for one authorization", async () => {
      const user = authenticated();
      await r.users.upsertAuthenticatedUser(user, TTL);
      expect(await r.users.upsertAuthenticatedUser({ ...user, channel: 'web' }, TTL)).toBeUndefined();
      await expect(r.users.upsertAuthenticatedUser({ ...user, auraId: id('second') }, TTL)).rejects.toBeInstanceOf(
        AuthorizationAlreadyLinkedError,
      );
    });
  });

  describe('deletions', () => {
    it('should delete by auraId with its audit row in one statement, and only in its channel when given', async () => {
      const user = kernelUser();
      await r.users.getOrCreateKernelUser(user, TTL);
      const audit = {
        action: AuditAction.UserDeleted,
        actorKeyId: null,
        subjectHash: 'h'.repeat(64),
        requestId: 'req-1',
      };
      expect(await r.users.deleteByAuraId(user.auraId, 'tv', audit)).toEqual({
        channel: 'web',
        userType: UserType.Authenticated,
        deleted: false,
      });
      expect(await r.users.deleteByAuraId(user.auraId, 'web', audit)).toEqual({
        channel: 'web',
        userType: UserType.Authenticated,
        deleted: true,
      });
      expect(await r.users.deleteByAuraId(user.auraId, null, audit)).toEqual({
        channel: null,
        userType: null,
        deleted: false,
      });
      const rows = await r.query('SELECT details FROM audit_events WHERE request_id = $1', ['req-1']);
      expect(rows).toEqual([{ details: { channel: 'web', userType: 'authenticated' } }]);
    });

    it("should delete a Kernel session's record, and the one of an auraId, in the caller's transaction", async () => {
      const session = kernelUser();
      const other = kernelUser();
      await r.users.getOrCreateKernelUser(session, TTL);
      await r.users.getOrCreateKernelUser(other, TTL);
      const deleted = await r.database.transaction((tx) =>
        r.users.deleteByKernelSession(
          { channel: 'web', userId: session.userId, authorizationId: session.authorizationId, auraId: other.auraId },
          tx,
        ),
      );
      expect(deleted).toBe(2);
      expect(
        await r.database.transaction((tx) =>
          r.users.deleteByKernelSession(
            { channel: 'web', userId: session.userId, authorizationId: session.authorizationId },
            tx,
          ),
        ),
      ).toBe(0);
    });

    it('should erase every record holding a phone number, in any column, in every channel', async () => {
      const phone = '+34600555444';
      const a = kernelUser({ phoneNumber: phone });
      const b = kernelUser({ phoneNumber: null, userId: phone, channel: 'tv' });
      await r.users.getOrCreateKernelUser(a, TTL);
      await r.users.getOrCreateKernelUser(b, TTL);
      const erased = await r.database.transaction((tx) => r.users.eraseByPhoneNumber(phone, tx));
      expect(erased.count).toBe(2);
      expect(erased.auraIds.sort()).toEqual([a.auraId, b.auraId].sort());
      expect(erased.channels).toEqual(['tv', 'web']);
      expect(erased.phoneIndex).toBe(r.sealing.phoneIndex(phone));
    });

    it('should sweep records expired past the retention in batches', async () => {
      const old = kernelUser();
      const recent = kernelUser();
      await r.users.getOrCreateKernelUser(old, TTL);
      await r.users.getOrCreateKernelUser(recent, TTL);
      await expire(old.auraId, 10);
      await expire(recent.auraId, 1);
      let swept = 0;
      for (
        let batch = await r.users.deleteExpiredBatch(5, 1);
        batch > 0;
        batch = await r.users.deleteExpiredBatch(5, 1)
      ) {
        swept += batch;
      }
      expect(swept).toBeGreaterThanOrEqual(1);
      expect(await r.users.findByAuraId(old.auraId)).toBeUndefined();
      expect(await r.users.findByAuraId(recent.auraId)).toBeDefined();
    });
  });

  it('should delete each expired record once when replicas sweep at the same time (SKIP LOCKED)', async () => {
    await r.query(
      `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, expires_at)
       SELECT 'bulk-' || i, 'g', 'u-bulk-' || i, 'webchat', 'identifiable', now() - interval '30 days'
       FROM generate_series(1, 500) AS i`,
    );
    const sweeps = await Promise.all(
      Array.from({ length: 4 }, async () => {
        let total = 0;
        let deleted: number;
        do {
          deleted = await r.users.deleteExpiredBatch(7, 50);
          total += deleted;
        } while (deleted > 0);
        return total;
      }),
    );
    expect(sweeps.reduce((sum, deleted) => sum + deleted, 0)).toBe(500);
    expect(await count("aura_id LIKE 'bulk-%'", [])).toBe(0);
  });

  it('should find the last valid auraId of an auraIdGlobal in a channel', async () => {
    const global = id('g');
    const first = kernelUser({ auraIdGlobal: global });
    const second = kernelUser({ auraIdGlobal: global });
    await r.users.getOrCreateKernelUser(first, TTL);
    await r.users.getOrCreateKernelUser(second, TTL);
    expect((await r.users.findLastValidAuraId(global, 'web'))?.aura_id).toBe(second.auraId);
    await expire(second.auraId);
    expect(await r.users.findLastValidAuraId(global, 'web')).toEqual(
      expect.objectContaining({ aura_id: first.auraId, aura_id_global: global, channel: 'web' }),
    );
    expect(await r.users.findLastValidAuraId(global, 'tv')).toBeUndefined();
  });

  it('should create a device user in the transaction that links it', async () => {
    const user = { ...kernelUser({ channel: 'tv' }), deviceId: id('device') };
    const row = await r.database.transaction((tx) => r.users.createDeviceUser(user, TTL, tx));
    expect(row).toEqual(
      expect.objectContaining({ aura_id: user.auraId, phone_number: PHONE, user_type: 'authenticated' }),
    );
    expect(row.expires_at.getTime()).toBeGreaterThan(Date.now() + (TTL - 1) * 86_400_000);
    expect(await count('device_id = $1', [user.deviceId])).toBe(1);
  });

  it('should re-seal every value under the current key, in keyset batches of compare-and-set updates', async () => {
    const key = () => Buffer.from(randomUUID().replace(/-/g, '')).toString('base64url');
    const [oldKey, newKey] = [key(), key()];
    const before = { PII_KEYS: `old:${oldKey}`, PII_INDEX_KEY: r.config.get(UsersSettings).PII_INDEX_KEY };
    const after = {
      PII_KEYS: `new:${newKey},old:${oldKey},${r.config.get(UsersSettings).PII_KEYS}`,
      PII_INDEX_KEY: r.config.get(UsersSettings).PII_INDEX_KEY,
    };
    const repository = (keys: typeof before) =>
      new UsersRepository(
        r.dataSource.getRepository(AuraUser),
        r.database,
        new UserSealing(new PersonalDataCipher(keys), new PhoneNumbers(r.config.get(UsersSettings))),
      );
    const users = Array.from({ length: 3 }, () => kernelUser({ channel: `reseal-${randomUUID().slice(0, 8)}` }));
    for (const user of users) {
      await repository(before).getOrCreateKernelUser(user, TTL);
    }
    const current = repository(after);
    const stale = await current.countStaleSealed();
    expect(stale).toBeGreaterThanOrEqual(3);
    let done = 0;
    let cursor: string | null = '';
    while (cursor !== null) {
      const batch = await current.resealBatch(cursor, 2);
      done += batch.resealed;
      cursor = batch.last;
    }
    expect(done).toBe(stale);
    expect(await current.countStaleSealed()).toBe(0);
    expect((await current.findByAuraId(users[0].auraId))?.user.phone_number).toBe(PHONE);
  });
});

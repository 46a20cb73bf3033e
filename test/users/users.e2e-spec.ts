import { createHmac } from 'node:crypto';
import { Tier } from 'src/auth/tier';
import { DEVELOPMENT_SECRETS } from 'src/config/development-secrets';
import { PersonalDataCipher } from 'src/users/personal-data';

/** The derived identifiers are keyed: computed here under the development key the tests run with. */
const pii = new PersonalDataCipher(DEVELOPMENT_SECRETS);
import { UsersSweeper } from 'src/users/users.sweeper';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { AuditSettings } from 'src/audit/audit.settings';
import { UsersSettings } from 'src/users/users.settings';

type Headers = Record<string, string>;

describe('users', () => {
  let t: TestApp;
  let kernel: Headers;
  let bot: Headers;
  let webchatKey: Headers;
  let whatsappBot: Headers;

  // Booting the app (and migrating an embedded database) can outlast Jest's default 5 s on a busy machine.
  beforeAll(async () => {
    // Bursts queue for the pool: a busy machine must not turn that wait into 503s.
    t = await createTestApp({ DATABASE_POOL_MAX: '20', DATABASE_CONNECT_TIMEOUT_MS: '15000' });
    kernel = apiKeyHeader((await t.createKey(Tier.Kernel)).key);
    bot = apiKeyHeader((await t.createKey(Tier.Internal)).key);
    webchatKey = apiKeyHeader((await t.createKey(Tier.Kernel, { channel: 'webchat' })).key);
    whatsappBot = apiKeyHeader((await t.createKey(Tier.Internal, { channel: 'whatsapp-es' })).key);
  });
  afterAll(() => t.close());

  const count = async (where = 'true', parameters: unknown[] = []): Promise<number> =>
    Number((await t.query<{ n: string }>(`SELECT count(*) AS n FROM aura_users WHERE ${where}`, parameters))[0].n);

  const kernelUser = (query: string, headers: Headers = kernel) =>
    t.request({ method: 'GET', url: `/users/aura-id?${query}`, headers });

  const login = (auraId: string, channel: string, context: Record<string, unknown>, headers: Headers = bot) =>
    t.request({
      method: 'POST',
      url: `/users/${auraId}`,
      headers,
      payload: { channel, authenticationContext: context },
    });

  const expire = (auraId: string, ago = "interval '1 minute'") =>
    t.query(`UPDATE aura_users SET expires_at = now() - ${ago} WHERE aura_id = $1`, [auraId]);

  describe('GET /users/aura-id (Kernel get-or-create)', () => {
    it('should create the user (201) and then return the same one (200)', async () => {
      const created = await kernelUser('channel=webchat&userId=u-100&authorizationId=a-100&phoneNumber=600000100');
      expect(created.statusCode).toBe(201);
      const user = created.json();
      expect(user).toMatchObject({
        userId: 'u-100',
        authorizationId: 'a-100',
        channel: 'webchat',
        userType: 'authenticated',
        phoneNumber: '+34600000100',
        subscriptionType: null,
        authenticationContext: null,
        auraIdGlobal: pii.pseudonym('aura-id-global', 'tel:+34600000100'),
      });
      expect(user.auraId).toMatch(/^[A-Za-z0-9_-]{32}$/);

      const again = await kernelUser('channel=webchat&userId=u-100&authorizationId=a-100&phoneNumber=600000100');
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(user);
      expect(await count('user_id = $1', ['u-100'])).toBe(1);
    });

    it('should give a new auraId to a new login (authorization) of the same user', async () => {
      const first = await kernelUser('channel=webchat&userId=u-101&authorizationId=a-101a&auraIdGlobal=g-101');
      const second = await kernelUser('channel=webchat&userId=u-101&authorizationId=a-101b&auraIdGlobal=g-101');
      expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
      expect(second.json().auraId).not.toBe(first.json().auraId);
      expect(second.json().auraIdGlobal).toBe('g-101');
    });

    it("should use the key's bound channel when the query names none", async () => {
      const response = await kernelUser('userId=u-102&authorizationId=a-102', webchatKey);
      expect(response.statusCode).toBe(201);
      expect(response.json().channel).toBe('webchat');
    });

    it('should refuse a key bound to another channel with 403 and write nothing', async () => {
      const response = await kernelUser('channel=movistar-app&userId=u-103&authorizationId=a-103', webchatKey);
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('api_key_channel_forbidden');
      expect(await count('user_id = $1', ['u-103'])).toBe(0);
      const metrics = await t.scrape();
      expect(metrics.body).toMatch(/auth_failures_total\{reason="channel_forbidden"\} [1-9]/);
    });

    it('should replace an expired record with a new auraId (201)', async () => {
      const first = await kernelUser('channel=webchat&userId=u-104&authorizationId=a-104');
      await expire(first.json().auraId);
      const renewed = await kernelUser('channel=webchat&userId=u-104&authorizationId=a-104');
      expect(renewed.statusCode).toBe(201);
      expect(renewed.json().auraId).not.toBe(first.json().auraId);
      expect(await count('user_id = $1', ['u-104'])).toBe(1);
    });

    it('should keep the expiry Kernel sends, else apply USER_TTL_DAYS', async () => {
      const expiresAt = new Date(Date.now() + 2 * 3_600_000).toISOString();
      const withExpiry = await kernelUser(
        `channel=webchat&userId=u-105&authorizationId=a-105&expiresAt=${encodeURIComponent(expiresAt)}`,
      );
      expect(withExpiry.json().expiresAt).toBe(expiresAt);
      const withTtl = await kernelUser('channel=webchat&userId=u-105&authorizationId=a-105b');
      const days = (Date.parse(withTtl.json().expiresAt) - Date.parse(withTtl.json().createdAt)) / 86_400_000;
      expect(days).toBeCloseTo(t.config.get(UsersSettings).USER_TTL_DAYS, 3);
    });

    it('should refuse internal keys (Kernel-only route)', async () => {
      const response = await kernelUser('channel=webchat&userId=u-106&authorizationId=a-106', bot);
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('api_key_tier_forbidden');
    });

    it('should create exactly one record for 100 concurrent identical calls', async () => {
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => kernelUser('channel=webchat&userId=u-race&authorizationId=a-race')),
      );
      const statuses = responses.map((response) => response.statusCode);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 200)).toHaveLength(99);
      expect(new Set(responses.map((response) => response.json<{ auraId: string }>().auraId)).size).toBe(1);
      expect(await count('user_id = $1', ['u-race'])).toBe(1);
    });
  });

  describe('get-or-create racing a concurrent insert (real PostgreSQL only: PGlite has one connection)', () => {
    const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;

    /** Polls until a request of this database waits for a lock (for up to 30 s: a busy machine is slow to get there). */
    async function untilBlocked(): Promise<void> {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        const [row] = await t.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE NOT l.granted AND a.datname = current_database()`,
        );
        if (row.waiting > 0) {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('the request never waited for the concurrent transaction');
    }

    onPostgres('should return the row the other transaction committed (200), not a second one', async () => {
      const runner = t.dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        await runner.query(
          `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, authorization_id, expires_at)
           VALUES ('racer', 'g-800', 'u-800', 'webchat', 'authenticated', 'a-800', now() + interval '1 day')`,
        );
        const pending = kernelUser('channel=webchat&userId=u-800&authorizationId=a-800');
        await untilBlocked();
        await runner.commitTransaction();
        const response = await pending;
        expect(response.statusCode).toBe(200);
        expect(response.json().auraId).toBe('racer');
        expect(await count('user_id = $1', ['u-800'])).toBe(1);
      } finally {
        await runner.release();
      }
    });
  });

  describe('GET /users/aura-id/{auraId} (identifiable get-or-create)', () => {
    it('should derive the same userId and auraIdGlobal from the phone number in every channel', async () => {
      const whatsapp = await t.request({
        method: 'GET',
        url: '/users/aura-id/wa-200?channel=whatsapp-es&phoneNumber=%2B34%20600%20000%20200',
        headers: bot,
      });
      const other = await t.request({
        method: 'GET',
        url: '/users/aura-id/tv-200?channel=living-tv&phoneNumber=0034600000200',
        headers: bot,
      });
      expect([whatsapp.statusCode, other.statusCode]).toEqual([201, 201]);
      const expected = {
        userId: pii.pseudonym('user-id', 'tel:+34600000200'),
        auraIdGlobal: pii.pseudonym('aura-id-global', 'tel:+34600000200'),
        userType: 'identifiable',
        phoneNumber: '+34600000200',
        authorizationId: null,
      };
      expect(whatsapp.json()).toMatchObject({ ...expected, auraId: 'wa-200', channel: 'whatsapp-es' });
      expect(other.json()).toMatchObject({ ...expected, auraId: 'tv-200', channel: 'living-tv' });
      expect(expected.userId).not.toBe(expected.auraIdGlobal);
    });

    it('should derive the identifiers from channel and auraId without a phone number, and return it again (200)', async () => {
      const created = await t.request({ method: 'GET', url: '/users/aura-id/wa-201', headers: whatsappBot });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({
        channel: 'whatsapp-es',
        phoneNumber: null,
        userId: pii.pseudonym('user-id', 'aura:whatsapp-es:wa-201'),
        auraIdGlobal: pii.pseudonym('aura-id-global', 'aura:whatsapp-es:wa-201'),
      });
      const again = await t.request({ method: 'GET', url: '/users/aura-id/wa-201', headers: whatsappBot });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(created.json());
    });

    it('should answer 409 when the auraId belongs to another channel, and 403 to a key bound elsewhere, writing nothing', async () => {
      await t.request({ method: 'GET', url: '/users/aura-id/shared-202?channel=webchat', headers: bot });
      const unbound = await t.request({
        method: 'GET',
        url: '/users/aura-id/shared-202?channel=whatsapp-es',
        headers: bot,
      });
      expect(unbound.statusCode).toBe(409);
      expect(unbound.json().code).toBe('user_channel_conflict');
      // By design (issue 28.5): no made-up 201 that the next GET would contradict with a 404.
      const bound = await t.request({ method: 'GET', url: '/users/aura-id/shared-202', headers: whatsappBot });
      expect(bound.statusCode).toBe(403);
      expect(bound.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(bound.json()).toMatchObject({ status: 403, code: 'api_key_channel_forbidden' });
      expect(await t.query('SELECT channel, user_type FROM aura_users WHERE aura_id = $1', ['shared-202'])).toEqual([
        { channel: 'webchat', user_type: 'identifiable' },
      ]);
    });

    it('should renew an expired record of the channel as a new identifiable user (201)', async () => {
      await login('wa-204', 'whatsapp-es', { userId: 'u-204', authorizationId: 'a-204' });
      await expire('wa-204');
      const renewed = await t.request({ method: 'GET', url: '/users/aura-id/wa-204', headers: whatsappBot });
      expect(renewed.statusCode).toBe(201);
      expect(renewed.json()).toMatchObject({ auraId: 'wa-204', userType: 'identifiable', authorizationId: null });
      expect(Date.parse(renewed.json().expiresAt)).toBeGreaterThan(Date.now());
      // Identifiable is anonymous: GET /users/{auraId} answers 404 whatever the record's age.
      expect((await t.request({ method: 'GET', url: '/users/wa-204', headers: bot })).statusCode).toBe(404);
    });

    it('should create one record for 100 concurrent calls with the same auraId', async () => {
      const responses = await Promise.all(
        Array.from({ length: 100 }, () =>
          t.request({ method: 'GET', url: '/users/aura-id/wa-race?channel=whatsapp-es', headers: bot }),
        ),
      );
      expect(responses.filter((response) => response.statusCode === 201)).toHaveLength(1);
      expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(99);
      expect(await count('aura_id = $1', ['wa-race'])).toBe(1);
    });

    it('should refuse Kernel keys (internal route)', async () => {
      const response = await t.request({
        method: 'GET',
        url: '/users/aura-id/wa-203?channel=webchat',
        headers: kernel,
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('api_key_tier_forbidden');
    });
  });

  describe('POST /users/{auraId} (OTP login)', () => {
    it('should create an authenticated user with the TTL when the context has no expiry', async () => {
      const response = await login('wa-300', 'whatsapp-es', { userId: 'u-300', authorizationId: 'a-300' });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({
        userType: 'authenticated',
        auraIdGlobal: pii.pseudonym('aura-id-global', 'kernel:u-300'),
        authenticationContext: { userId: 'u-300', authorizationId: 'a-300' },
      });
      const [row] = await t.query<{ ok: boolean }>(
        `SELECT expires_at > now() + make_interval(days => $2::int) - interval '1 minute' AS ok FROM aura_users WHERE aura_id = $1`,
        ['wa-300', t.config.get(UsersSettings).USER_TTL_DAYS],
      );
      expect(row.ok).toBe(true);
    });

    it('should leave a record of another channel untouched: 409, or 403 for a key bound elsewhere', async () => {
      await login('web-301', 'webchat', { userId: 'u-301', authorizationId: 'a-301' });
      const unbound = await login('web-301', 'whatsapp-es', { userId: 'u-x', authorizationId: 'a-x' });
      expect(unbound.statusCode).toBe(409);
      expect(unbound.json().code).toBe('user_channel_conflict');
      const bound = await t.request({
        method: 'POST',
        url: '/users/web-301',
        headers: whatsappBot,
        payload: { authenticationContext: { userId: 'u-x', authorizationId: 'a-x' } },
      });
      expect(bound.statusCode).toBe(403);
      expect(bound.json()).toMatchObject({ status: 403, code: 'api_key_channel_forbidden' });
      expect(await t.query('SELECT user_id, channel FROM aura_users WHERE aura_id = $1', ['web-301'])).toEqual([
        { user_id: 'u-301', channel: 'webchat' },
      ]);
    });

    it('should answer 409 when the authorization is already linked to another auraId of the channel', async () => {
      await login('wa-302a', 'whatsapp-es', { userId: 'u-302', authorizationId: 'a-302' });
      const response = await login('wa-302b', 'whatsapp-es', { userId: 'u-302', authorizationId: 'a-302' });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('authorization_already_linked');
      expect(await count('aura_id = $1', ['wa-302b'])).toBe(0);
    });

    it('should count created users by channel and type', async () => {
      await login('wa-303', 'whatsapp-es', { userId: 'u-303', authorizationId: 'a-303' });
      const metrics = await t.scrape();
      expect(metrics.body).toMatch(/aura_users_created_total\{channel="whatsapp-es",user_type="authenticated"\} [1-9]/);
      expect(metrics.body).toMatch(/aura_users_created_total\{channel="whatsapp-es",user_type="identifiable"\} [1-9]/);
    });
  });

  describe('GET /users/{auraId}', () => {
    it('should answer 404 user_expired for an expired record', async () => {
      await login('wa-400', 'whatsapp-es', { userId: 'u-400', authorizationId: 'a-400' });
      await expire('wa-400');
      const response = await t.request({ method: 'GET', url: '/users/wa-400', headers: bot });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('user_expired');
    });

    it('should answer a key bound to another channel 404, as for an auraId that does not exist', async () => {
      await login('web-401', 'webchat', { userId: 'u-401', authorizationId: 'a-401' });
      const response = await t.request({ method: 'GET', url: '/users/web-401', headers: whatsappBot });
      const absent = await t.request({ method: 'GET', url: '/users/web-401-absent', headers: whatsappBot });
      expect([response.statusCode, response.json().code]).toEqual([404, 'user_not_found']);
      expect(response.json().detail).toBe(absent.json().detail);
      expect((await t.request({ method: 'GET', url: '/users/web-401', headers: bot })).statusCode).toBe(200);
    });

    it('should refuse Kernel keys (internal route)', async () => {
      const response = await t.request({ method: 'GET', url: '/users/web-401', headers: kernel });
      expect(response.statusCode).toBe(403);
    });
  });

  describe('DELETE /users/{auraId}', () => {
    it('should let Kernel delete a user, and audit it with the auraId hashed only', async () => {
      await login('web-500', 'webchat', { userId: 'u-500', authorizationId: 'a-500' });
      const response = await t.request({ method: 'DELETE', url: '/users/web-500', headers: kernel });
      expect(response.statusCode).toBe(204);
      expect(await count('aura_id = $1', ['web-500'])).toBe(0);
      const audit = await t.query<Record<string, unknown>>(
        `SELECT action, subject_hash, record_count, details, request_id FROM audit_events WHERE action = 'user.deleted' AND subject_hash = $1`,
        [createHmac('sha256', t.config.get(AuditSettings).AUDIT_HMAC_SECRET).update('web-500').digest('hex')],
      );
      expect(audit).toEqual([
        {
          action: 'user.deleted',
          subject_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
          record_count: 1,
          details: { channel: 'webchat', userType: 'authenticated' },
          request_id: response.headers['x-request-id'],
        },
      ]);
      const everything = JSON.stringify(await t.query('SELECT * FROM audit_events'));
      expect(everything).not.toContain('web-500');
      const metrics = await t.scrape();
      expect(metrics.body).toMatch(/aura_users_deleted_total\{reason="logout"\} [1-9]/);
    });

    it('should answer a key bound to another channel 204, as for an absent auraId, and keep the record', async () => {
      await login('web-501', 'webchat', { userId: 'u-501', authorizationId: 'a-501' });
      const audits = await t.query('SELECT id FROM audit_events');
      const response = await t.request({ method: 'DELETE', url: '/users/web-501', headers: whatsappBot });
      expect(response.statusCode).toBe(204);
      expect(await count('aura_id = $1', ['web-501'])).toBe(1);
      expect(await t.query('SELECT id FROM audit_events')).toEqual(audits);
    });

    it('should let a bound key delete a user of its own channel', async () => {
      await login('wa-502', 'whatsapp-es', { userId: 'u-502', authorizationId: 'a-502' });
      const response = await t.request({ method: 'DELETE', url: '/users/wa-502', headers: whatsappBot });
      expect(response.statusCode).toBe(204);
      expect(await count('aura_id = $1', ['wa-502'])).toBe(0);
    });
  });

  describe('GET /users/aura-id-global/{aura_id_global}', () => {
    it('should return the last valid auraId of the channel, skipping expired ones and other channels', async () => {
      const older = await kernelUser('channel=webchat&userId=u-600&authorizationId=a-600a&auraIdGlobal=g-600');
      await t.query(`UPDATE aura_users SET created_at = now() - interval '1 hour' WHERE aura_id = $1`, [
        older.json().auraId,
      ]);
      const newer = await kernelUser('channel=webchat&userId=u-600&authorizationId=a-600b&auraIdGlobal=g-600');
      await kernelUser('channel=movistar-app&userId=u-600&authorizationId=a-600c&auraIdGlobal=g-600');

      const latest = await t.request({
        method: 'GET',
        url: '/users/aura-id-global/g-600?channel=webchat',
        headers: kernel,
      });
      expect(latest.statusCode).toBe(200);
      expect(latest.json()).toEqual({
        auraId: newer.json().auraId,
        auraIdGlobal: 'g-600',
        channel: 'webchat',
        expiresAt: newer.json().expiresAt,
      });

      await expire(newer.json().auraId);
      const fallback = await t.request({ method: 'GET', url: '/users/aura-id-global/g-600', headers: webchatKey });
      expect(fallback.json().auraId).toBe(older.json().auraId);

      await expire(older.json().auraId);
      const none = await t.request({ method: 'GET', url: '/users/aura-id-global/g-600', headers: webchatKey });
      expect(none.statusCode).toBe(404);
      expect(none.json().code).toBe('aura_id_global_not_found');
    });

    it('should refuse a bound key asking for another channel', async () => {
      const response = await t.request({
        method: 'GET',
        url: '/users/aura-id-global/g-600?channel=movistar-app',
        headers: webchatKey,
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('api_key_channel_forbidden');
    });
  });

  describe('sweep of expired records', () => {
    it('should delete records expired for longer than the retention, and keep the others', async () => {
      await t.query('DELETE FROM aura_users');
      await login('sweep-old', 'webchat', { userId: 'u-700', authorizationId: 'a-700' });
      await login('sweep-recent', 'webchat', { userId: 'u-701', authorizationId: 'a-701' });
      await login('sweep-valid', 'webchat', { userId: 'u-702', authorizationId: 'a-702' });
      const retention = t.config.get(UsersSettings).EXPIRED_USER_RETENTION_DAYS;
      await expire('sweep-old', `make_interval(days => ${retention + 1})`);
      await expire('sweep-recent', `make_interval(days => ${retention - 1})`);

      expect(await t.app.get(UsersSweeper).sweep()).toBe(1);
      const left = await t.query<{ aura_id: string }>('SELECT aura_id FROM aura_users ORDER BY aura_id');
      expect(left.map((row) => row.aura_id)).toEqual(['sweep-recent', 'sweep-valid']);
      const metrics = await t.scrape();
      expect(metrics.body).toMatch(/aura_users_deleted_total\{reason="expired"\} 1/);
    });
  });
});

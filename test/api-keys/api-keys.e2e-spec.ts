import { ApiKeyUsage } from 'src/api-keys/api-key-usage';
import { ApiKeysService } from 'src/api-keys/api-keys.service';
import { Tier } from 'src/auth/tier';
import { Database } from 'src/database/database';
import { startService, type RunningService } from '../support/built-service';
import { TEST_DATABASE_URL } from '../support/postgres';
import { apiKeyHeader, createTestApp, TEST_ENV, type TestApp } from '../support/test-app';
import { DatabaseSettings } from 'src/database/database.settings';

describe('API key verification', () => {
  describe('with the default cache', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ APIKEY_CACHE_TTL_SECONDS: '30' });
    });
    afterAll(() => t.close());

    it('should accept both the Kernel header form and X-API-Key', async () => {
      const { key } = await t.createKey(Tier.Public);
      expect(
        (await t.request({ method: 'GET', url: '/config', headers: { authorization: `APIKEY ${key}` } })).statusCode,
      ).toBe(200);
      expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode).toBe(200);
    });

    it('should not accept another authorization scheme', async () => {
      const { key } = await t.createKey(Tier.Public);
      const response = await t.request({ method: 'GET', url: '/config', headers: { authorization: `Bearer ${key}` } });
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('api_key_invalid');
    });

    it('should refuse ?apiKey= unless enabled by configuration, and never log it', async () => {
      const { key } = await t.createKey(Tier.Public);
      const response = await t.request({ method: 'GET', url: `/config?apiKey=${key}` });
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('api_key_missing');
      expect(t.logs.text).not.toContain(key);
    });

    it('should verify a cached key without any database query', async () => {
      const { key } = await t.createKey(Tier.Public);
      const queries = jest.spyOn(Database.prototype, 'run');
      try {
        await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) });
        const firstUse = queries.mock.calls.length;
        for (let i = 0; i < 20; i++) {
          expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode).toBe(200);
        }
        expect(firstUse).toBe(1);
        expect(queries.mock.calls.length).toBe(firstUse);
      } finally {
        queries.mockRestore();
      }
    });

    it('should refuse a cached key as soon as it is revoked (the cache entry is invalidated, docs/revocation.md)', async () => {
      const { key, id } = await t.createKey(Tier.Public);
      expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode).toBe(200);
      await t.app.get(ApiKeysService).revoke(id);
      expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode).toBe(401);
    });

    it('should record last use off the request path, in one write per flush', async () => {
      const { key, id } = await t.createKey(Tier.Public);
      await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) });
      expect(await t.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [id])).toEqual([{ last_used_at: null }]);
      await t.app.get(ApiKeyUsage).flush();
      const [row] = await t.query<{ last_used_at: Date }>(`SELECT last_used_at FROM api_keys WHERE id = $1`, [id]);
      expect(row.last_used_at).toBeInstanceOf(Date);
    });

    it('should store only the hash of a key and audit its creation', async () => {
      const created = await t.createKey(Tier.Internal, { name: 'aura-bot', channel: 'whatsapp' });
      const rows = await t.query(`SELECT * FROM api_keys WHERE id = $1`, [created.id]);
      expect(JSON.stringify(rows)).not.toContain(created.key.slice(-40));
      expect(rows[0]).toMatchObject({ name: 'aura-bot', tier: 'internal', channel: 'whatsapp' });
      const audit = await t.query(`SELECT action, details FROM audit_events WHERE details->>'keyId' = $1`, [
        created.id,
      ]);
      expect(audit).toEqual([
        { action: 'api_key.created', details: { keyId: created.id, name: 'aura-bot', tier: 'internal' } },
      ]);
    });
  });

  describe('without a cache', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({ APIKEY_CACHE_TTL_SECONDS: '0', APIKEY_QUERY_PARAM_ENABLED: 'true' });
    });
    afterAll(() => t.close());

    it('should refuse a key as soon as it is revoked', async () => {
      const { key, id } = await t.createKey(Tier.Public);
      expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode).toBe(200);
      await t.app.get(ApiKeysService).revoke(id);
      const response = await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) });
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('api_key_invalid');
    });

    it('should keep a rotated key working during its grace period, then refuse it', async () => {
      const old = await t.createKey(Tier.Public, { name: 'web' });
      const rotated = await t.app.get(ApiKeysService).rotate(old.id, 1);
      expect(rotated.key).not.toBe(old.key);
      expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(old.key) })).statusCode).toBe(200);
      expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(rotated.key) })).statusCode).toBe(
        200,
      );
      await t.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [old.id]);
      expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(old.key) })).statusCode).toBe(401);
      const [row] = await t.query<{ rotated_from_id: string }>(`SELECT rotated_from_id FROM api_keys WHERE id = $1`, [
        rotated.id,
      ]);
      expect(row.rotated_from_id).toBe(old.id);
    });

    it('should accept ?apiKey= when enabled, without logging it', async () => {
      const { key } = await t.createKey(Tier.Public);
      const response = await t.request({ method: 'GET', url: `/config?apiKey=${key}` });
      expect(response.statusCode).toBe(200);
      expect(t.logs.text).not.toContain(key);
    });

    it('should not hand ?apiKey= to the validation of routes that take query parameters', async () => {
      const { key } = await t.createKey(Tier.Kernel);
      const response = await t.request({
        method: 'GET',
        url: `/users/aura-id?channel=web&userId=u-q&authorizationId=a-q&apiKey=${key}`,
      });
      expect(response.statusCode).toBe(201);
    });
  });
});

describe('rate limiting per API key', () => {
  let t: TestApp;

  beforeAll(async () => {
    // A Redis nobody listens on: counting must fall back to memory, not fail the requests.
    t = await createTestApp({ RATE_LIMIT_LIMIT: '3', RATE_LIMIT_TTL_SECONDS: '60', REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(() => t.close());

  it('should answer 429 with Retry-After past the limit, for that key only', async () => {
    const first = await t.createKey(Tier.Public);
    const second = await t.createKey(Tier.Public);
    for (let i = 0; i < 3; i++) {
      expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(first.key) })).statusCode).toBe(
        200,
      );
    }
    const limited = await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(first.key) });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(second.key) })).statusCode).toBe(
      200,
    );
  });

  it('should never rate-limit the health probe', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await t.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    }
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
/** Two replicas need one database: this runs on PostgreSQL with Redis (CI sets both). */
(redisUrl && TEST_DATABASE_URL ? describe : describe.skip)(
  'rate limiting shared through Redis (TEST_REDIS_URL)',
  () => {
    let t: TestApp;
    let replica: RunningService;

    beforeAll(async () => {
      const env = { RATE_LIMIT_LIMIT: '3', REDIS_URL: redisUrl, APIKEY_CACHE_TTL_SECONDS: '30' };
      t = await createTestApp(env);
      replica = await startService({
        ...TEST_ENV,
        ...env,
        DATABASE_URL: t.config.get(DatabaseSettings).DATABASE_URL,
        LOG_LEVEL: 'warn',
      });
    });
    afterAll(async () => {
      replica?.process.kill('SIGTERM');
      await replica?.exited;
      await t?.close();
    });

    it('should count one key across two replicas', async () => {
      const { key } = await t.createKey(Tier.Public);
      const onReplica = async () => (await fetch(`${replica.baseUrl}/config`, { headers: apiKeyHeader(key) })).status;
      const here = async () =>
        (await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode;
      expect([await here(), await onReplica(), await here(), await onReplica()]).toEqual([200, 200, 200, 429]);
    });
  },
);

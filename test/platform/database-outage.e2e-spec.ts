import { Tier } from 'src/api-keys/tier';
import { TEST_DATABASE_URL } from '../support/postgres';
import { TcpProxy } from '../support/tcp-proxy';
import { apiKeyHeader, createTestApp, freshDatabase, type TestApp, type TestDatabase } from '../support/test-app';

async function waitFor(check: () => Promise<boolean>, attempts = 50): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** The database connection cut and restored under the service, through a proxy the test controls. */
(TEST_DATABASE_URL ? describe : describe.skip)('database outage (needs TEST_DATABASE_URL)', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase();
    const url = new URL(database.env.DATABASE_URL!);
    proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    t = await createTestApp({
      DATABASE_URL: url.toString(),
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      APIKEY_CACHE_TTL_SECONDS: '0',
    });
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
    await database.drop();
  });

  it('should turn unhealthy quickly, answer 503 problems, and recover by itself', async () => {
    const { key } = await t.createKey(Tier.Public);
    expect((await t.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    proxy.cut();
    const started = Date.now();
    const health = await t.request({ method: 'GET', url: '/healthz' });
    const healthMs = Date.now() - started;
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ code: 'unhealthy', checks: { database: { status: 'down' } } });
    // The probe needs no key: it names the failing check, never the driver's message (hosts, users…).
    expect(health.json().checks.database).toEqual({ status: 'down' });
    const call = await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) });
    expect(call.statusCode).toBe(503);
    expect(call.json()).toMatchObject({ code: 'database_unavailable' });
    expect(call.headers['retry-after']).toBe('1');

    proxy.blackhole();
    const hanging = Date.now();
    expect((await t.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(503);
    const blackholeMs = Date.now() - hanging;

    proxy.restore();
    expect(await waitFor(async () => (await t.request({ method: 'GET', url: '/healthz' })).statusCode === 200)).toBe(
      true,
    );
    expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode).toBe(200);
    console.log(
      `database outage: /healthz answered 503 in ${healthMs} ms (refused) and ${blackholeMs} ms (blackholed)`,
    );
  });

  it('should fail fast, not hang, when a backend is terminated mid-flight', async () => {
    const { key } = await t.createKey(Tier.Public);
    await t.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const statuses = new Set<number>();
    for (let i = 0; i < 5; i++) {
      statuses.add((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode);
    }
    expect([...statuses].every((status) => status === 200 || status === 503)).toBe(true);
    expect(await waitFor(async () => (await t.request({ method: 'GET', url: '/healthz' })).statusCode === 200)).toBe(
      true,
    );
  });
});

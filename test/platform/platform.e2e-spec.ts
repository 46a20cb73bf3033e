import { Tier } from 'src/auth/tier';
import { loadConfig } from 'src/config/app-config';
import { onFreePort } from '../support/built-service';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';

describe('platform endpoints', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('should report liveness on /healthz without a key: the event loop and the heap, nothing outside', async () => {
    const response = await t.request({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ok',
      checks: { eventLoop: { status: 'up', maxDelayMs: expect.any(Number) }, heap: { status: 'up' } },
    });
  });

  it('should report readiness on /readyz without a key: database, migrations, signing keys, listener', async () => {
    const response = await t.request({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ok',
      checks: {
        database: expect.objectContaining({ status: 'up' }),
        migrations: { status: 'up' },
        signingKeys: { status: 'up', published: expect.any(Number), signing: true },
        invalidationListener: expect.objectContaining({ status: 'up', listening: expect.any(Boolean) }),
      },
    });
  });

  it('should answer /ping for a Kernel key and refuse other tiers', async () => {
    const kernel = await t.createKey(Tier.Kernel);
    const publicKey = await t.createKey(Tier.Public);
    const ok = await t.request({ method: 'GET', url: '/ping', headers: { authorization: `APIKEY ${kernel.key}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'ok' });
    const refused = await t.request({ method: 'GET', url: '/ping', headers: apiKeyHeader(publicKey.key) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('api_key_tier_forbidden');
  });

  it('should return the storage subdomain on /config to any valid key', async () => {
    const key = await t.createKey(Tier.Public);
    const response = await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key.key) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ storageSubdomain: 'auratest' });
  });

  it('should expose Prometheus metrics with the route template, not the URL, and the caller tier', async () => {
    await t.request({ method: 'GET', url: '/config?x=1' });
    const key = await t.createKey(Tier.Kernel);
    expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key.key) })).statusCode).toBe(200);
    const response = await t.scrape();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain(
      'http_request_duration_seconds_bucket{le="0.001",method="GET",route="/config",status="401",tier="none"}',
    );
    expect(response.body).toContain(
      'http_request_duration_seconds_count{method="GET",route="/config",status="200",tier="kernel"} 1',
    );
    expect(response.body).toContain('process_cpu_user_seconds_total');
    expect(response.body).toContain('db_pool_connections');
    expect(response.body).not.toContain('x=1');
  });

  it('should serve /metrics to any valid key of the environment (public tier), and to no one else', async () => {
    const missing = await t.request({ method: 'GET', url: '/metrics' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('api_key_missing');
    const wrong = await t.request({ method: 'GET', url: '/metrics', headers: { authorization: 'APIKEY aak_test_x' } });
    expect(wrong.statusCode).toBe(401);
    for (const tier of [Tier.Public, Tier.Kernel, Tier.Internal]) {
      const { key } = await t.createKey(tier);
      // Prometheus' `authorization: { type: APIKEY }` sends exactly this header.
      const scraped = await t.request({ method: 'GET', url: '/metrics', headers: { authorization: `APIKEY ${key}` } });
      expect(scraped.statusCode).toBe(200);
      expect(scraped.body).toContain('process_cpu_user_seconds_total');
    }
  });

  it('should answer an unknown route with a problem document', async () => {
    const id = '0f8fad5b-d9cb-469f-a165-7086a7728e5e';
    const response = await t.request({ method: 'GET', url: '/no/such/route', headers: { 'x-request-id': id } });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['x-request-id']).toBe(id);
    expect(response.json()).toEqual({
      type: 'urn:aura-authentication-api:problem:route_not_found',
      title: 'Not Found',
      status: 404,
      detail: 'No such route.',
      instance: `urn:aura-authentication-api:request:${id}`,
      code: 'route_not_found',
      requestId: id,
    });
  });

  it.each([
    ['a malformed percent-encoding in the path', '/users/%zz', 400, 'bad_request'],
    ['an over-long path segment', `/users/${'a'.repeat(600)}`, 414, 'uri_too_long'],
  ])('should answer %s, refused by the router itself, with a problem document', async (_case, url, status, code) => {
    const id = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const response = await t.request({ method: 'GET', url, headers: { 'x-request-id': id } });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status, code, requestId: id });
    expect(response.body).not.toContain('aaaa');
  });

  it.each([
    'bad id\u0001',
    '34600000002',
    '+34600000002',
    'req-600000002',
    'trace:34600000002',
    'a'.repeat(26),
    '0f8fad5b-d9cb-469f-a165-034600000002',
    '01ARZ3NDEK34600000002FAVXY',
  ])(
    'should replace an incoming request id that is not a UUID or ULID, or carries a digit run (%j), with a generated one',
    async (incoming) => {
      const response = await t.request({ method: 'GET', url: '/config', headers: { 'x-request-id': incoming } });
      const id = response.headers['x-request-id'] as string;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(response.json().requestId).toBe(id);
      const digits = incoming.replace(/\D/g, '');
      if (digits.length > 0) {
        expect(t.logs.text).not.toContain(digits);
      }
    },
  );

  it('should serve the OpenAPI document and Swagger UI', async () => {
    const json = await t.request({ method: 'GET', url: '/docs-json' });
    expect(json.statusCode).toBe(200);
    expect(json.json().info.title).toBe('Aura Authentication API');
    const ui = await t.request({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('should allow inline scripts only on the Swagger UI pages, and let no cache keep personal data', async () => {
    const bot = apiKeyHeader((await t.createKey(Tier.Internal)).key);
    const created = await t.request({
      method: 'GET',
      url: '/users/aura-id/wa-cache?channel=whatsapp-es&phoneNumber=%2B34600000321',
      headers: bot,
    });
    const read = await t.request({ method: 'GET', url: '/users/wa-cache', headers: bot });
    for (const response of [created, read]) {
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['content-security-policy']).not.toContain("'unsafe-inline'");
      expect(response.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    }
    const docs = await t.request({ method: 'GET', url: '/docs' });
    expect(docs.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    const jwks = await t.request({ method: 'GET', url: '/openid/jwk' });
    expect(jwks.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
  });

  it('should send security headers', async () => {
    const response = await t.request({ method: 'GET', url: '/healthz' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
  });

  it('should log one line per request naming the route, and none for probes', async () => {
    const before = t.logs.lines.length;
    await t.request({ method: 'GET', url: '/healthz' });
    await t.request({ method: 'GET', url: '/config?apiKey=secret-value' });
    const lines = t.logs.lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = lines.filter((line) => line.message === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ route: '/config', status: 401, method: 'GET' });
    expect(completed[0].requestId).toEqual(expect.any(String));
    expect(t.logs.text).not.toContain('secret-value');
  });
});

describe('keyless metrics on METRICS_PORT', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    // METRICS_PORT takes no 0: a free port, and another one if something took it first.
    [port, t] = await onFreePort(async (free) => [
      free,
      await createTestApp({ METRICS_PORT: String(free), HOST: '127.0.0.1' }),
    ]);
  });
  afterAll(() => t.close());

  it('should serve GET /metrics without a key on its own port, and nothing else there', async () => {
    const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    expect(await scraped.text()).toContain('http_request_duration_seconds');
    expect((await fetch(`http://127.0.0.1:${port}/users/x`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
    const announced = t.logs.lines.filter((line) => line.includes('Metrics listening at'));
    expect(announced).toEqual([expect.stringContaining(`"url":"http://127.0.0.1:${port}"`)]);
  });

  it("should still ask for a key on the main port's /metrics", async () => {
    expect((await t.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await t.scrape()).statusCode).toBe(200);
  });

  it('should refuse METRICS_PORT equal to PORT, or with metrics off', () => {
    expect(() => loadConfig({ PORT: '3000', METRICS_PORT: '3000' })).toThrow('METRICS_PORT: must differ from PORT');
    expect(() => loadConfig({ METRICS_PORT: '9464', METRICS_ENABLED: 'false' })).toThrow('METRICS_PORT');
  });
});

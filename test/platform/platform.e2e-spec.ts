import { Tier } from 'src/common/access/tier';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';

describe('platform endpoints', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('should report healthy with each check on /healthz without a key', async () => {
    const response = await t.request({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ok',
      checks: { database: expect.objectContaining({ status: 'up' }), heap: { status: 'up' } },
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

  it('should expose Prometheus metrics with the route template, not the URL', async () => {
    await t.request({ method: 'GET', url: '/config?x=1' });
    const response = await t.request({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain(
      'http_request_duration_seconds_bucket{le="0.001",method="GET",route="/config",status="401"}',
    );
    expect(response.body).toContain('process_cpu_user_seconds_total');
    expect(response.body).toContain('db_pool_connections');
    expect(response.body).not.toContain('x=1');
  });

  it('should answer an unknown route with a problem document', async () => {
    const response = await t.request({ method: 'GET', url: '/no/such/route', headers: { 'x-request-id': 'req-123' } });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['x-request-id']).toBe('req-123');
    expect(response.json()).toEqual({
      type: 'urn:aura-authentication-api:problem:route_not_found',
      title: 'Not Found',
      status: 404,
      detail: 'No such route.',
      instance: 'urn:aura-authentication-api:request:req-123',
      code: 'route_not_found',
      requestId: 'req-123',
    });
  });

  it.each([
    ['a malformed percent-encoding in the path', '/users/%zz', 400, 'bad_request'],
    ['an over-long path segment', `/users/${'a'.repeat(600)}`, 414, 'uri_too_long'],
  ])('should answer %s, refused by the router itself, with a problem document', async (_case, url, status, code) => {
    const response = await t.request({ method: 'GET', url, headers: { 'x-request-id': 'req-router' } });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status, code, requestId: 'req-router' });
    expect(response.body).not.toContain('aaaa');
  });

  it('should replace an unusable incoming request id with a generated one', async () => {
    const response = await t.request({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\u0001' } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('should serve the OpenAPI document and Swagger UI', async () => {
    const json = await t.request({ method: 'GET', url: '/docs-json' });
    expect(json.statusCode).toBe(200);
    expect(json.json().info.title).toBe('Aura Authentication API');
    const ui = await t.request({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
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

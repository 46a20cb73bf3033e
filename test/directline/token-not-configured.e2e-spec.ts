import { Tier } from 'src/auth/tier';
import { DirectLineStub } from '../support/directline-stub';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';

describe('Direct Line tokens without a secret', () => {
  let stub: DirectLineStub;
  let t: TestApp;

  beforeAll(async () => {
    stub = await DirectLineStub.start({ secret: 'unused' });
    t = await createTestApp({ DIRECTLINE_SECRET: undefined, DIRECTLINE_BASE_URL: stub.url });
  });
  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      await stub?.close();
    }
  });

  it.each(['/token', '/token/wss'])('should answer %s with 503 directline_not_configured', async (url) => {
    const key = await t.createKey(Tier.Public);
    const response = await t.request({ method: 'GET', url, headers: apiKeyHeader(key.key) });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 503, code: 'directline_not_configured' });
    expect(stub.calls).toHaveLength(0);
  });
});

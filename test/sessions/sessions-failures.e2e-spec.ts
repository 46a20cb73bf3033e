import { createTestApp, type TestApp } from '../support/test-app';
import { browserLogin, CSRF, currentUser, refresh } from './session-support';

/** The session API's 429 and 500, in Authara's envelope: an app of its own, with a tiny rate limit. */
describe('browser sessions: rate limit and unexpected failures', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      CALLBACK_REDIRECT_ALLOWLIST: 'https://web.aura.example',
      RATE_LIMIT_LIMIT: '6',
      RATE_LIMIT_CLIENT_LIMIT: '3',
      RATE_LIMIT_TTL_SECONDS: '3600',
    });
  });
  afterAll(() => t.close());

  it('should answer 500 internal_error with only an error id when the store fails', async () => {
    const { jar } = await browserLogin(t, {}, 'https://web.aura.example/');
    await t.query(`ALTER TABLE sessions RENAME TO sessions_away`);
    try {
      const response = await currentUser(t, jar);
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        error: {
          code: 'internal_error',
          message: expect.stringMatching(/^Unexpected error; quote errorId [0-9a-f-]{36}/),
        },
      });
      expect(response.body).not.toMatch(/sessions|relation|SELECT/);
      expect(t.logs.text).toContain('unexpected error');
      expect((await refresh(t, jar)).json().error.code).toBe('internal_error');
    } finally {
      await t.query(`ALTER TABLE sessions_away RENAME TO sessions`);
    }
  });

  it('should count session-admitted requests against the per-client limit of public keys', async () => {
    const { jar } = await browserLogin(t, {}, 'https://web.aura.example/');
    const onConfig = (remoteAddress: string) =>
      t.request({
        method: 'GET',
        url: '/config',
        cookies: { authara_access: jar.authara_access as string },
        remoteAddress,
      });
    for (let request = 0; request < 3; request++) {
      expect((await onConfig('10.1.1.1')).statusCode).toBe(200);
    }
    // The session's own budget (RATE_LIMIT_LIMIT, 6) is not spent: the client address's (3) is.
    const limited = await onConfig('10.1.1.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json().code).toBe('rate_limited');
    expect((await onConfig('10.1.1.2')).statusCode).toBe(200);
  });

  it('should answer 429 rate_limited with Retry-After once the client address is over its limit', async () => {
    let response = await t.request({ method: 'GET', url: CSRF, remoteAddress: '10.20.30.40' });
    for (let attempt = 0; attempt < 10 && response.statusCode !== 429; attempt++) {
      response = await t.request({ method: 'GET', url: CSRF, remoteAddress: '10.20.30.40' });
    }
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(response.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
  });
});

import {
  DIRECTLINE_STUB_PATHS,
  DirectLineStub,
  stubTokenClaims,
  type DirectLineFault,
} from '../support/directline-stub';
import { startDirectLineApp, type DirectLineApp } from '../support/directline-app';
import type { TestApp } from '../support/test-app';

const SECRET = 'stub-directline-secret-0123456789';

/** Attempts of one call: the first plus DIRECTLINE_MAX_RETRIES. */
const ATTEMPTS = 3;

/**
 * Seconds per attempt: a stub answer delayed by a busy machine must not time out and be retried (one more
 * call than a test counts). Timeouts are tested below with a stub that never answers.
 */
const RETRIES_ENV = {
  DIRECTLINE_MAX_RETRIES: String(ATTEMPTS - 1),
  DIRECTLINE_RETRY_INITIAL_DELAY_MS: '5',
  // Single calls here; the breaker has its own suite.
  DIRECTLINE_BREAKER_THRESHOLD: '1000',
};

describe('Direct Line tokens', () => {
  let app: DirectLineApp;
  let stub: DirectLineStub;
  let t: TestApp;

  beforeAll(async () => {
    app = await startDirectLineApp(SECRET, {
      DIRECTLINE_TRUSTED_ORIGINS: 'https://web.aura.test, https://app.aura.test',
      DIRECTLINE_TIMEOUT_MS: '5000',
      DIRECTLINE_DEADLINE_MS: '9000',
      ...RETRIES_ENV,
    });
    ({ stub, t } = app);
  });
  afterEach(() => stub.reset());
  afterAll(() => app?.close());

  const get = (url: string) => app.get(url);

  describe('GET /token', () => {
    it('should return exactly the token and its expiration time', async () => {
      const response = await get('/token');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ token: expect.any(String), expires_in: 3600 });
      expect(Object.keys(response.json()).sort()).toEqual(['expires_in', 'token']);
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it('should send the secret as a bearer token and the trusted origins to Direct Line', async () => {
      await get('/token');
      expect(stub.calls).toEqual([
        {
          path: DIRECTLINE_STUB_PATHS.generateToken,
          authorization: `Bearer ${SECRET}`,
          body: { trustedOrigins: ['https://web.aura.test', 'https://app.aura.test'] },
        },
      ]);
    });

    it('should bind the token to dl_u_<userId> when a userId is given (asserted by the key holder, docs/directline.md)', async () => {
      const response = await get('/token?userId=c2f1a7e0-5d4b');
      expect(response.statusCode).toBe(200);
      expect(stub.calls[0].body).toMatchObject({ user: { id: 'dl_u_c2f1a7e0-5d4b' } });
      expect(stubTokenClaims(response.json().token)).toMatchObject({ user: 'dl_u_c2f1a7e0-5d4b' });
    });

    it.each([
      ['a space', 'a%20b'],
      ['too long', 'x'.repeat(129)],
      ['empty', ''],
      ['a slash', 'a%2Fb'],
    ])('should refuse a userId with %s without calling Direct Line', async (_case, userId) => {
      const response = await get(`/token?userId=${userId}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('validation_failed');
      expect(stub.calls).toHaveLength(0);
    });

    it('should refuse unknown query parameters', async () => {
      const response = await get('/token?user=abc');
      expect(response.statusCode).toBe(400);
      expect(stub.calls).toHaveLength(0);
    });

    it('should return 401 without an API key', async () => {
      const response = await t.request({ method: 'GET', url: '/token' });
      expect(response.statusCode).toBe(401);
      expect(stub.calls).toHaveLength(0);
    });
  });

  describe('GET /token/wss', () => {
    it('should pass through the Direct Line conversation fields', async () => {
      const response = await get('/token/wss?userId=user.42');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(Object.keys(body).sort()).toEqual([
        'conversationId',
        'eTag',
        'expires_in',
        'referenceGrammarId',
        'streamUrl',
        'token',
      ]);
      expect(body).toEqual({
        conversationId: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        token: expect.any(String),
        expires_in: 3600,
        streamUrl: `${stub.url.replace('http', 'ws')}/v3/directline/conversations/${body.conversationId}/stream?watermark=&t=${body.token}`,
        referenceGrammarId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        eTag: 'W/"1"',
      });
      expect(response.headers['cache-control']).toBe('no-store');
      expect(stubTokenClaims(body.token)).toMatchObject({ conv: body.conversationId, user: 'dl_u_user.42' });
    });

    it('should start the conversation with the secret and the user id', async () => {
      await get('/token/wss?userId=user.42');
      expect(stub.calls).toEqual([
        {
          path: DIRECTLINE_STUB_PATHS.conversations,
          authorization: `Bearer ${SECRET}`,
          body: { user: { id: 'dl_u_user.42' }, trustedOrigins: ['https://web.aura.test', 'https://app.aura.test'] },
        },
      ]);
    });
  });

  describe('when Direct Line fails', () => {
    const cases: Array<[string, DirectLineFault, number, string, number]> = [
      ['answers 500', { kind: 'status', status: 500 }, 502, 'directline_unavailable', ATTEMPTS],
      ['answers 503', { kind: 'status', status: 503 }, 502, 'directline_unavailable', ATTEMPTS],
      ['resets the connection', { kind: 'reset' }, 502, 'directline_unavailable', ATTEMPTS],
      ['answers garbage', { kind: 'garbage' }, 502, 'directline_bad_response', 1],
      ['answers JSON of the wrong shape', { kind: 'malformed' }, 502, 'directline_bad_response', 1],
      ['answers 404', { kind: 'status', status: 404 }, 502, 'directline_unexpected_status', 1],
      ['answers 400', { kind: 'status', status: 400 }, 502, 'directline_unexpected_status', 1],
    ];

    it.each(cases)(
      'should answer GET /token with the mapped status when Direct Line %s',
      async (_case, fault, status, code, attempts) => {
        stub.fail(fault);
        const response = await get('/token');
        expect(response.statusCode).toBe(status);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.json()).toMatchObject({ status, code });
        expect(stub.callsTo(DIRECTLINE_STUB_PATHS.generateToken)).toHaveLength(attempts);
      },
    );

    it.each(cases)(
      'should answer GET /token/wss with the mapped status when Direct Line %s',
      async (_case, fault, status, code, attempts) => {
        stub.fail(fault);
        const response = await get('/token/wss');
        expect(response.statusCode).toBe(status);
        expect(response.json()).toMatchObject({ status, code });
        expect(stub.callsTo(DIRECTLINE_STUB_PATHS.conversations)).toHaveLength(attempts);
      },
    );

    it.each([401, 403])(
      'should answer 502 without retrying and log an operator error when Direct Line answers %i',
      async (upstreamStatus) => {
        const before = t.logs.lines.length;
        stub.fail({ kind: 'status', status: upstreamStatus });
        const response = await get('/token');
        expect(response.statusCode).toBe(502);
        expect(response.json().code).toBe('directline_secret_rejected');
        expect(stub.calls).toHaveLength(1);
        const errors = t.logs.lines
          .slice(before)
          .map((line) => JSON.parse(line) as { level: string; message: string })
          .filter((line) => line.level === 'error');
        expect(errors).toEqual([
          expect.objectContaining({
            message: expect.stringContaining(`refused the configured secret (HTTP ${upstreamStatus})`),
          }),
        ]);
      },
    );

    it('should never follow a redirect', async () => {
      stub.fail({ kind: 'status', status: 307, location: `${stub.url}/followed` });
      const response = await get('/token');
      expect(response.statusCode).toBe(502);
      expect(response.json().code).toBe('directline_unexpected_status');
      expect(stub.calls.map((call) => call.path)).toEqual([DIRECTLINE_STUB_PATHS.generateToken]);
    });

    it('should answer 503 with Direct Line’s Retry-After when it throttles beyond the deadline', async () => {
      stub.fail({ kind: 'status', status: 429, retryAfter: '30' });
      const response = await get('/token');
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('30');
      expect(response.json().code).toBe('directline_throttled');
      expect(stub.calls).toHaveLength(1);
    });

    it('should retry a 429 without Retry-After with backoff, then answer 503 with a Retry-After', async () => {
      stub.fail({ kind: 'status', status: 429 });
      const response = await get('/token');
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json().code).toBe('directline_throttled');
      expect(stub.calls).toHaveLength(ATTEMPTS);
    });

    it('should retry a 429 whose Retry-After fits in the deadline and return the token', async () => {
      stub.fail({ kind: 'status', status: 429, retryAfter: '0' }, 1);
      const response = await get('/token');
      expect(response.statusCode).toBe(200);
      expect(stub.calls).toHaveLength(2);
    });

    it.each<[string, DirectLineFault]>([
      ['a 503', { kind: 'status', status: 503 }],
      ['a reset connection', { kind: 'reset' }],
    ])('should recover from %s on the next attempt', async (_case, fault) => {
      stub.fail(fault, 1);
      const response = await get('/token/wss');
      expect(response.statusCode).toBe(200);
      expect(response.json().streamUrl).toEqual(expect.any(String));
      expect(stub.calls).toHaveLength(2);
    });
  });

  it('should count Direct Line latency, errors by kind and the breaker state in /metrics', async () => {
    stub.fail({ kind: 'status', status: 500 }, 1);
    expect((await get('/token')).statusCode).toBe(200);
    const metrics = (await t.scrape()).body;
    expect(metrics).toMatch(/directline_request_duration_seconds_count\{operation="generate_token",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/directline_errors_total\{operation="generate_token",kind="server_error"\} \d+/);
    expect(metrics).toContain('directline_circuit_state{state="closed"} 1');
    expect(metrics).toContain('directline_circuit_state{state="open"} 0');
  });

  it('should log why a Direct Line call failed, for the operators', async () => {
    const before = t.logs.lines.length;
    stub.fail({ kind: 'status', status: 500 });
    await get('/token');
    const warnings = t.logs.lines
      .slice(before)
      .map((line) => JSON.parse(line) as { level: string; message?: string })
      .filter((line) => line.level === 'warn');
    expect(warnings).toContainEqual(
      expect.objectContaining({
        message: 'Direct Line generate_token failed (server_error): Direct Line answered 500',
      }),
    );
  });

  it('should never log the Direct Line secret or a token', () => {
    expect(t.logs.text).not.toContain(SECRET);
    expect(t.logs.text).not.toContain('eyJ');
  });
});

/**
 * The per-attempt timeout, with a stub that never answers (or never finishes its body) until the test is over:
 * what times out does not depend on the machine's speed. The timeout is still seconds long, for the normal
 * answer that follows one; the deadline leaves room for every attempt (2 × 2 s plus backoff, in 9 s).
 */
describe('Direct Line per-attempt timeout', () => {
  let app: DirectLineApp;
  let stub: DirectLineStub;

  beforeAll(async () => {
    app = await startDirectLineApp(SECRET, {
      DIRECTLINE_TIMEOUT_MS: '2000',
      DIRECTLINE_DEADLINE_MS: '9000',
      ...RETRIES_ENV,
    });
    ({ stub } = app);
  });
  afterEach(() => stub.reset());
  afterAll(() => app?.close());

  it.each<[string, DirectLineFault, string, string]>([
    ['never answers', { kind: 'hang' }, '/token', DIRECTLINE_STUB_PATHS.generateToken],
    ['never answers', { kind: 'hang' }, '/token/wss', DIRECTLINE_STUB_PATHS.conversations],
    ['drips its body forever', { kind: 'drip', intervalMs: 20 }, '/token', DIRECTLINE_STUB_PATHS.generateToken],
    ['drips its body forever', { kind: 'drip', intervalMs: 20 }, '/token/wss', DIRECTLINE_STUB_PATHS.conversations],
  ])('should answer 504 after every attempt timed out when Direct Line %s (%s)', async (_case, fault, url, path) => {
    stub.fail(fault);
    const response = await app.get(url);
    expect(response.statusCode).toBe(504);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 504, code: 'directline_timeout' });
    expect(stub.callsTo(path)).toHaveLength(ATTEMPTS);
  });

  it('should recover from a timeout on the next attempt, and count the timeout in /metrics', async () => {
    stub.fail({ kind: 'hang' }, 1);
    const response = await app.get('/token/wss');
    expect(response.statusCode).toBe(200);
    expect(response.json().streamUrl).toEqual(expect.any(String));
    expect(stub.calls).toHaveLength(2);
    expect((await app.t.scrape()).body).toMatch(
      /directline_errors_total\{operation="start_conversation",kind="timeout"\} [1-9]\d*/,
    );
  });
});

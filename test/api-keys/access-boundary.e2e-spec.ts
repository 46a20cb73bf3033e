import { randomBytes } from 'node:crypto';
import { Tier } from 'src/auth/tier';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { Database } from 'src/database/database';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';

const LOGIN = '/users/auraid/integrated';

/** A well-formed key of the test environment that no one ever created. */
const randomKey = () => `aak_test_${randomBytes(5).toString('hex')}_${randomBytes(20).toString('hex')}`;

/** SQL statements touching api_keys sent while `work` runs (every statement of the service goes through Database). */
async function apiKeyQueriesDuring(work: () => Promise<void>): Promise<number> {
  const spy = jest.spyOn(Database.prototype, 'run');
  try {
    await work();
    return spy.mock.calls.filter(([statement]) => /api_keys/i.test(statement.text)).length;
  } finally {
    spy.mockRestore();
  }
}

describe('client address behind trusted proxies (TRUST_PROXY_HOPS)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  /** A keyless route, so that requests are counted per client address: the bad callback answers 400. */
  const badCallback = (forwardedFor: string, remoteAddress = '10.0.0.1') =>
    t!.request({ method: 'GET', url: `${LOGIN}?data=x`, headers: { 'x-forwarded-for': forwardedFor }, remoteAddress });

  it('should give each client behind one proxy its own bucket (1 hop), as the ingress reports it', async () => {
    t = await createTestApp({ TRUST_PROXY_HOPS: '1', RATE_LIMIT_LIMIT: '20' });
    const cipher = new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
    const statuses = [];
    for (let i = 0; i < 21; i++) {
      statuses.push((await badCallback('203.0.113.7')).statusCode);
    }
    expect(statuses.slice(0, 20).every((status) => status === 400)).toBe(true);
    expect(statuses[20]).toBe(429);

    const data = sealPayload(cipher, CallbackPurpose.Login, {
      channel: 'web',
      userId: 'kernel-user-hops',
      authorizationId: `authz-${randomBytes(4).toString('hex')}`,
    });
    const login = await t.request({
      method: 'GET',
      url: `${LOGIN}?data=${encodeURIComponent(data)}`,
      headers: { 'x-forwarded-for': '198.51.100.9' },
      remoteAddress: '10.0.0.1',
    });
    expect(login.statusCode).toBe(201);

    // A client cannot escape its bucket by writing its own X-Forwarded-For: only the entry the proxy added counts.
    expect((await badCallback(`192.0.2.${1 + (randomBytes(1)[0] % 200)}, 203.0.113.7`)).statusCode).toBe(429);
  });

  it('should take the address two hops from the right (2 hops) and ignore a spoofed leftmost one', async () => {
    t = await createTestApp({ TRUST_PROXY_HOPS: '2', RATE_LIMIT_LIMIT: '3' });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await badCallback(`192.0.2.${10 + i}, 203.0.113.7, 10.1.0.1`)).statusCode);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect((await badCallback('192.0.2.99, 198.51.100.9, 10.1.0.1')).statusCode).toBe(400);
    // Behind two proxies the first proxy's own address (rightmost entry) is not the client.
    expect((await badCallback('203.0.113.7, 10.1.0.2')).statusCode).toBe(429);
  });

  it('should use the peer address and ignore X-Forwarded-For entirely without trusted proxies (0 hops)', async () => {
    t = await createTestApp({ TRUST_PROXY_HOPS: '0', RATE_LIMIT_LIMIT: '3' });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await badCallback(`198.51.100.${i}`)).statusCode);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect((await badCallback('198.51.100.200', '10.0.0.2')).statusCode).toBe(400);
  });
});

describe('failed authentication', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ AUTH_FAILURE_LIMIT: '50', RATE_LIMIT_LIMIT: '100000' });
  });
  afterAll(() => t.close());

  it('should refuse unknown key ids without querying api_keys, and answer 429 per address past the limit', async () => {
    const valid = await t.createKey(Tier.Public);
    const config = (address: string, key: string) =>
      t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key), remoteAddress: address });
    expect((await config('203.0.113.50', valid.key)).statusCode).toBe(200);

    const statuses: number[] = [];
    let retryAfter: string | undefined;
    const queries = await apiKeyQueriesDuring(async () => {
      for (let i = 0; i < 500; i++) {
        const response = await config('203.0.113.50', randomKey());
        statuses.push(response.statusCode);
        if (response.statusCode === 429) {
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(response.json().code).toBe('rate_limited');
          retryAfter = response.headers['retry-after'];
        }
      }
    });
    console.log(
      `500 random well-formed keys: ${queries} api_keys queries, ${statuses.filter((s) => s === 429).length} × 429`,
    );
    expect(queries).toBeLessThanOrEqual(2);
    expect(statuses.slice(0, 50).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(50).every((status) => status === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThan(0);

    // The limited address keeps the key it already uses; another address is not affected.
    expect((await config('203.0.113.50', valid.key)).statusCode).toBe(200);
    expect((await config('203.0.113.51', randomKey())).statusCode).toBe(401);
  });

  /** GET /config from a client address, with the given headers. */
  const getConfig = (headers: Record<string, string>, remoteAddress: string) =>
    t.request({ method: 'GET', url: '/config', headers, remoteAddress });

  /** Spends the address's failure budget with unknown keys, until it is answered 429. */
  async function block(address: string): Promise<void> {
    for (let i = 0; i < 60; i++) {
      const response = await getConfig(apiKeyHeader(randomKey()), address);
      if (response.statusCode === 429) {
        return;
      }
    }
    throw new Error('the address was never blocked');
  }

  it('should keep a blocked address blocked whatever else it sends, even a trusted key beside a right guess', async () => {
    const trusted = await t.createKey(Tier.Public);
    const guessed = await t.createKey(Tier.Public);
    const address = '203.0.113.60';
    expect((await getConfig(apiKeyHeader(trusted.key), address)).statusCode).toBe(200);
    await block(address);
    // A right guess next to the key the address already uses must not be told from a wrong one.
    for (const headers of [
      { 'x-api-key': trusted.key, authorization: `APIKEY ${guessed.key}` } as Record<string, string>,
      { 'x-api-key': guessed.key, authorization: `APIKEY ${trusted.key}` },
      { 'x-api-key': trusted.key, authorization: `APIKEY ${randomKey()}` },
      { cookie: 'authara_access=forged.token.value' },
    ]) {
      const response = await getConfig(headers, address);
      expect(response.statusCode).toBe(429);
      expect(response.json().code).toBe('rate_limited');
    }
    // Its own key alone still passes (a busy NAT address is not locked out by one abuser).
    expect((await getConfig(apiKeyHeader(trusted.key), address)).statusCode).toBe(200);
  });

  it('should read the Authorization scheme in any case (RFC 9110 section 11.1)', async () => {
    const { key } = await t.createKey(Tier.Public);
    for (const scheme of ['APIKEY', 'ApiKey', 'apikey']) {
      const response = await getConfig({ authorization: `${scheme} ${key}` }, '203.0.113.61');
      expect(`${scheme}: ${response.statusCode}`).toBe(`${scheme}: 200`);
    }
    const bearer = await getConfig({ authorization: `Bearer ${key}` }, '203.0.113.61');
    expect(bearer.statusCode).toBe(401);
    expect(bearer.json().code).toBe('api_key_invalid');
  });

  it('should refuse two different keys in one request, and take the same key sent twice', async () => {
    const first = await t.createKey(Tier.Public);
    const second = await t.createKey(Tier.Public);
    const ambiguous = await getConfig(
      { 'x-api-key': first.key, authorization: `apikey ${second.key}` },
      '203.0.113.62',
    );
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(ambiguous.json().code).toBe('ambiguous_credentials');
    const twice = await getConfig({ 'x-api-key': first.key, authorization: `APIKEY ${first.key}` }, '203.0.113.62');
    expect(twice.statusCode).toBe(200);
  });

  it('should still accept a key created after start, at once', async () => {
    const created = await t.createKey(Tier.Public);
    const response = await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(created.key) });
    expect(response.statusCode).toBe(200);
  });
});

describe('per-client limit under a public key (RATE_LIMIT_CLIENT_LIMIT)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_LIMIT: '10', RATE_LIMIT_CLIENT_LIMIT: '3' });
  });
  afterAll(() => t.close());

  it('should limit one abusive client of a channel key alone, without spending the key budget on its refusals', async () => {
    const channel = await t.createKey(Tier.Public, { channel: 'web' });
    const from = (address: string) =>
      t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(channel.key), remoteAddress: address });
    const abusive = [];
    for (let i = 0; i < 8; i++) {
      abusive.push(await from('192.0.2.66'));
    }
    expect(abusive.map((response) => response.statusCode)).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    expect(Number(abusive[3].headers['retry-after'])).toBeGreaterThan(0);
    expect(abusive[3].json().code).toBe('rate_limited');

    // Others share the key's budget of 10, of which the abusive client spent only its 3 accepted requests.
    const others = [];
    for (let i = 0; i < 7; i++) {
      others.push((await from(`198.51.100.${i + 1}`)).statusCode);
    }
    expect(others).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect((await from('198.51.100.100')).statusCode).toBe(429);
  });

  it('should not sub-limit internal keys (servers calling from one address)', async () => {
    const internal = await t.createKey(Tier.Internal);
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (
          await t.request({
            method: 'GET',
            url: '/config',
            headers: apiKeyHeader(internal.key),
            remoteAddress: '10.2.0.1',
          })
        ).statusCode,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  });
});

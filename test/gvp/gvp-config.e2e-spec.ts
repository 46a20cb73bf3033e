import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Tier } from 'src/auth/tier';
import { loadConfig } from 'src/config/app-config';
import { deviceToken, gvpKey, startGvpApp, type GvpApp, type GvpKey } from '../support/gvp-app';
import { KERNEL_STUB_PATHS } from '../support/kernel-stub';
import { apiKeyHeader, createTestApp, TEST_ENV, type TestApp } from '../support/test-app';

const SUBSCRIBER = 'subscriber-remote-3d0c51f2';
/** GVP_JWKS_MIN_REFRESH_SECONDS of the app under test, in ms. */
const MIN_REFRESH_MS = 1_000;

/** GVP's JWKS endpoint for the test: serves the keys it is given, counts fetches, can go down or hang. */
class JwksServer {
  keys: GvpKey[] = [];
  fetches = 0;
  down = false;
  /** Requests are held, unanswered, until `release()`. */
  hang = false;
  private held: ServerResponse[] = [];
  private readonly server: Server = createServer((request, response) => {
    this.fetches += 1;
    if (this.hang) {
      this.held.push(response);
      return;
    }
    if (this.down) {
      response.writeHead(500).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: this.keys.map((key) => key.publicJwk) }));
  });

  /** Answers the held requests (too late for the service, whose fetch gave up) and stops holding. */
  release(): void {
    this.hang = false;
    for (const response of this.held.splice(0)) {
      response.destroy();
    }
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }

  close(): Promise<void> {
    this.release();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** `StatusCode` of a GVP envelope. */
const statusCode = (response: { json: () => unknown }) => (response.json() as { StatusCode: number }).StatusCode;

/**
 * The app signing in with keys from a JwksServer (GVP_JWKS_URL) that publishes one known key, for the describe
 * it is called in: started before its tests, closed after. The getters read what `beforeAll` made.
 */
function withRemoteJwks(kernelUserId: string, minRefreshSeconds: string) {
  let g: GvpApp;
  let jwks: JwksServer;
  let known: GvpKey;

  beforeAll(async () => {
    jwks = await new JwksServer().start();
    known = await gvpKey('ES256');
    jwks.keys = [known];
    g = await startGvpApp(
      { [SUBSCRIBER]: { id: kernelUserId } },
      { GVP_JWKS: '', GVP_JWKS_URL: jwks.url, GVP_JWKS_MIN_REFRESH_SECONDS: minRefreshSeconds },
      [known],
    );
    g.t.secrets.add(SUBSCRIBER, 'subscriber id');
  }, 60_000);
  afterAll(async () => {
    await g?.close();
    await jwks?.close();
  });

  return {
    get g() {
      return g;
    },
    get jwks() {
      return jwks;
    },
    get known() {
      return known;
    },
    signIn: async (key: GvpKey) =>
      g.get(`/gvp/aura-id?token=${await deviceToken(key, { sub: SUBSCRIBER, deviceId: `stb-${randomUUID()}` })}`),
  };
}

describe('GVP sign-in configuration', () => {
  describe('when GVP sign-in is not configured', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t?.close());

    it.each(['/gvp/aura-id', '/gvp/aura-token'])(
      'should answer %s with 380 DeviceSignInNotConfigured (503)',
      async (url) => {
        const key = (await t.createKey(Tier.Public)).key;
        const response = await t.request({ method: 'GET', url: `${url}?token=a.b.c`, headers: apiKeyHeader(key) });
        expect(response.statusCode).toBe(503);
        expect(response.json()).toEqual({
          StatusCode: 380,
          Severity: 3,
          StatusMessage: 'DeviceSignInNotConfigured',
          Content: null,
        });
      },
    );
  });

  describe('with GVP keys fetched from GVP_JWKS_URL', () => {
    const remote = withRemoteJwks('kernel-user-remote-0001', String(MIN_REFRESH_MS / 1000));
    const { signIn } = remote;

    it('should verify device tokens with the fetched keys, fetching them once', async () => {
      expect((await signIn(remote.known)).statusCode).toBe(200);
      expect((await signIn(remote.known)).statusCode).toBe(200);
      expect(remote.jwks.fetches).toBe(1);
      // One Kernel exchange per sign-in (however many attempts a busy machine made of it).
      expect(remote.g.kernel.exchanges()).toBe(2);
    });

    it('should refetch on an unknown kid at most once per GVP_JWKS_MIN_REFRESH_SECONDS', async () => {
      const rotated = await gvpKey('RS256');
      remote.jwks.keys = [remote.known, rotated];
      const before = remote.jwks.fetches;
      // Past the cool-down of the first fetch (a lower bound: a busy machine only waits longer).
      await new Promise((resolve) => setTimeout(resolve, MIN_REFRESH_MS + 100));
      const refetchFrom = Date.now();
      expect((await signIn(rotated)).statusCode).toBe(200);
      expect(remote.jwks.fetches).toBe(before + 1);

      // Unknown kids within the cool-down do not make the service hammer GVP: one fetch per cool-down window at
      // most, counted over the time this really took (one window when the machine keeps up, as it usually does).
      const stranger = await gvpKey('ES256');
      const refused = await Promise.all([signIn(stranger), signIn(stranger), signIn(stranger)]);
      expect(refused.map((response) => response.json<{ StatusCode: number }>().StatusCode)).toEqual([30, 30, 30]);
      const windows = 1 + Math.floor((Date.now() - refetchFrom) / MIN_REFRESH_MS);
      expect(remote.jwks.fetches - before).toBeLessThanOrEqual(windows);
    });

    it("should answer 381 DeviceKeysNotAvailable when GVP's keys cannot be fetched", async () => {
      remote.jwks.down = true;
      try {
        await new Promise((resolve) => setTimeout(resolve, MIN_REFRESH_MS + 100));
        const response = await signIn(await gvpKey('ES256'));
        expect(response.statusCode).toBe(503);
        expect(response.json()).toEqual({
          StatusCode: 381,
          Severity: 3,
          StatusMessage: 'DeviceKeysNotAvailable',
          Content: null,
        });
      } finally {
        remote.jwks.down = false;
      }
    });
  });

  describe('when GVP_JWKS_URL fails (failures remembered, last good keys kept)', () => {
    // A back-off far longer than the test: every fetch counted below is one the service chose to make.
    const remote = withRemoteJwks('kernel-user-remote-0002', '3600');
    const { signIn } = remote;

    it('should fetch a JWKS answering 500 once, and answer 381 from the remembered failure', async () => {
      remote.jwks.down = true;
      const first = await Promise.all([signIn(remote.known), signIn(remote.known), signIn(remote.known)]);
      expect(first.map(statusCode)).toEqual([381, 381, 381]);
      const later = [await signIn(remote.known), await signIn(await gvpKey('ES256'))];
      expect(later.map(statusCode)).toEqual([381, 381]);
      expect(remote.jwks.fetches).toBe(1);
    });
  });

  describe('when GVP_JWKS_URL goes down or hangs after a good fetch', () => {
    const remote = withRemoteJwks('kernel-user-remote-0003', '1');
    const { signIn } = remote;
    /** Past the one-second back-off: a wait for a new fetch to be allowed, not a race with one. */
    const pastBackOff = () => new Promise((resolve) => setTimeout(resolve, 1100));

    it('should keep serving the last good keys while the JWKS answers 500, fetching once per back-off', async () => {
      expect(statusCode(await signIn(remote.known))).toBe(0);
      expect(remote.jwks.fetches).toBe(1);
      remote.jwks.down = true;
      try {
        await pastBackOff();
        // An unknown kid may be a rotation: one fetch, which fails (381); the failure is then remembered.
        const unknown = await gvpKey('ES256');
        expect(statusCode(await signIn(unknown))).toBe(381);
        expect(remote.jwks.fetches).toBe(2);
        const again = await Promise.all([signIn(unknown), signIn(unknown), signIn(remote.known), signIn(remote.known)]);
        expect(again.map(statusCode)).toEqual([30, 30, 0, 0]);
        expect(remote.jwks.fetches).toBe(2);
      } finally {
        remote.jwks.down = false;
      }
    });

    it('should answer a known kid at once while a JWKS fetch hangs, and remember the hang for the others', async () => {
      await pastBackOff();
      remote.jwks.hang = true;
      try {
        const fetchesBefore = remote.jwks.fetches;
        // This one starts a fetch that hangs until released (or until the service's fetch timeout gives up).
        const waiting = signIn(await gvpKey('ES256'));
        while (remote.jwks.fetches === fetchesBefore) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        // The fetch is hanging now: a known kid does not wait for it.
        expect(statusCode(await signIn(remote.known))).toBe(0);
        expect(remote.jwks.fetches).toBe(fetchesBefore + 1);
        expect(statusCode(await waiting)).toBe(381);
        // Remembered: the next unknown kid is answered without a fetch, and without waiting for one.
        expect(statusCode(await signIn(await gvpKey('ES256')))).toBe(30);
        expect(remote.jwks.fetches).toBe(fetchesBefore + 1);
      } finally {
        remote.jwks.release();
      }
    }, 30_000);
  });

  describe('limits, answered in the envelope', () => {
    let g: GvpApp;
    beforeAll(async () => {
      g = await startGvpApp(
        { [SUBSCRIBER]: { id: 'kernel-user-limits' } },
        { AUTH_FAILURE_LIMIT: '2', RATE_LIMIT_LIMIT: '3' },
      );
    });
    afterAll(() => g?.close());

    const envelope = (response: { statusCode: number; json: () => unknown; headers: Record<string, unknown> }) => ({
      status: response.statusCode,
      body: response.json(),
      retryAfter: Number(response.headers['retry-after']) > 0,
    });

    it('should answer 371 RateLimited past the limit of one device, and of failed device tokens from an address', async () => {
      const device = `device-${randomUUID()}`;
      const token = await deviceToken(g.keys[0], { sub: SUBSCRIBER, deviceId: device });
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (await g.t.request({ method: 'GET', url: `/gvp/aura-id?token=${token}`, remoteAddress: '192.0.2.70' }))
            .statusCode,
        );
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await g.t.request({
        method: 'GET',
        url: `/gvp/aura-id?token=${token}`,
        remoteAddress: '192.0.2.70',
      });
      expect(envelope(limited)).toEqual({
        status: 429,
        body: { StatusCode: 371, Severity: 2, StatusMessage: 'RateLimited', Content: null },
        retryAfter: true,
      });

      const forged = `${token.slice(0, -4)}AAAA`;
      const refused = [];
      for (let i = 0; i < 3; i++) {
        refused.push(
          (
            await g.t.request({ method: 'GET', url: `/gvp/aura-id?token=${forged}`, remoteAddress: '192.0.2.71' })
          ).json().StatusCode,
        );
      }
      expect(refused).toEqual([30, 30, 371]);
    });
  });

  describe('unknown subscribers and first sign-ins, remembered and limited', () => {
    const KNOWN = ['subscriber-one-7c1d', 'subscriber-two-91ab', 'subscriber-three-5e02'];
    const UNKNOWN = 'subscriber-nobody-44f0';
    let g: GvpApp;
    beforeAll(async () => {
      g = await startGvpApp(
        Object.fromEntries(KNOWN.map((sub, index) => [sub, { id: `kernel-user-limit-${index}` }])),
        {
          GVP_UNKNOWN_SUBSCRIBER_TTL_SECONDS: '300',
          GVP_FIRST_SIGN_IN_LIMIT: '2',
          GVP_FIRST_SIGN_IN_WINDOW_SECONDS: '3600',
        },
      );
      for (const secret of [...KNOWN, UNKNOWN]) {
        g.t.secrets.add(secret, 'subscriber id');
      }
    }, 60_000);
    afterEach(() => g.kernel.reset());
    afterAll(() => g?.close());

    const signIn = async (sub: string, deviceId: string) =>
      g.get(`/gvp/aura-id?token=${await deviceToken(g.keys[0], { sub, deviceId })}`);
    const tokenCalls = () => g.kernel.callsTo(KERNEL_STUB_PATHS.token);

    it('should ask Kernel once for a subscriber it does not know, and answer 321 from memory after', async () => {
      const answers = [];
      for (const deviceId of ['stb-nobody-1', 'stb-nobody-1', 'stb-nobody-2']) {
        answers.push((await signIn(UNKNOWN, deviceId)).json());
      }
      expect(answers).toEqual(
        Array(3).fill({ StatusCode: 321, Severity: 2, StatusMessage: 'UserNotFoundInFourthPlatform', Content: null }),
      );
      expect(tokenCalls()).toHaveLength(1);
      // Other subscribers are not affected.
      expect((await signIn(KNOWN[0], `stb-${randomUUID()}`)).statusCode).toBe(200);
      expect(tokenCalls()).toHaveLength(2);
    });

    it('should not remember a refused assertion (322) as an unknown subscriber', async () => {
      g.kernel.fail({ kind: 'distrust_keys' });
      expect((await signIn(KNOWN[1], `stb-${randomUUID()}`)).json().StatusCode).toBe(322);
      g.kernel.reset();
      expect((await signIn(KNOWN[1], `stb-${randomUUID()}`)).statusCode).toBe(200);
      expect(tokenCalls()).toHaveLength(1);
    });

    it('should answer 371 RateLimited past GVP_FIRST_SIGN_IN_LIMIT first sign-ins of one device, linked ones unaffected', async () => {
      const device = `stb-${randomUUID()}`;
      expect((await signIn(KNOWN[0], device)).statusCode).toBe(200);
      expect((await signIn(KNOWN[1], device)).statusCode).toBe(200);
      // The device is linked now: its sign-ins need no Kernel call and are not first sign-ins.
      expect((await signIn(KNOWN[1], device)).statusCode).toBe(200);
      const limited = await signIn(KNOWN[2], device);
      expect({ status: limited.statusCode, body: limited.json() }).toEqual({
        status: 429,
        body: { StatusCode: 371, Severity: 2, StatusMessage: 'RateLimited', Content: null },
      });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(tokenCalls()).toHaveLength(2);
      // Another device is not affected.
      expect((await signIn(KNOWN[2], `stb-${randomUUID()}`)).statusCode).toBe(200);
    });
  });

  describe('validation at boot', () => {
    const base = { ...TEST_ENV, GVP_ISSUER: 'https://gvp.test', GVP_AUDIENCE: 'aura' };

    it('should require everything GVP sign-in needs once one of its settings is set', () => {
      expect(() => loadConfig({ ...TEST_ENV, GVP_ISSUER: 'https://gvp.test' })).toThrow(
        /GVP_JWKS_URL:.*\n.*GVP_AUDIENCE: is required[\s\S]*KERNEL_TOKEN_URL: is required[\s\S]*KERNEL_CLIENT_SECRET: is required/,
      );
    });

    it('should refuse both GVP_JWKS_URL and GVP_JWKS, and a GVP_JWKS that is not a key set', () => {
      expect(() => loadConfig({ ...base, GVP_JWKS_URL: 'https://gvp.test/jwks', GVP_JWKS: '{"keys":[{}]}' })).toThrow(
        /GVP_JWKS: set either/,
      );
      expect(() => loadConfig({ ...base, GVP_JWKS: '{"nope":1}' })).toThrow(/GVP_JWKS: must be a JSON Web Key Set/);
    });

    it('should refuse a clock skew above 60 s', () => {
      expect(() => loadConfig({ ...TEST_ENV, GVP_CLOCK_SKEW_SECONDS: '61' })).toThrow(/GVP_CLOCK_SKEW_SECONDS/);
    });
  });
});

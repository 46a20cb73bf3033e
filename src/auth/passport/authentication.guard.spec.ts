import { Controller, Get, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Authenticator, Passport, type Strategy } from 'passport';
import { ApiKeyError } from 'src/api-keys/api-keys.errors';
import type { ApiKeyVerifier } from 'src/api-keys/api-key-verifier';
import type { AuthFailureReason, AuthFailures } from 'src/auth/auth-failures';
import { Authenticated, NoCredential } from 'src/auth/authenticated.decorator';
import type { ApiKeyCaller, Caller } from 'src/auth/caller';
import { ApiKeyStrategy, API_KEY_STRATEGY } from 'src/auth/passport/api-key.strategy';
import { AuthFailureLimiter } from 'src/auth/passport/auth-failure.limiter';
import { AuthenticationGuard } from 'src/auth/passport/authentication.guard';
import { DEVICE_STRATEGY, GvpDeviceStrategy } from 'src/auth/passport/gvp-device.strategy';
import { SESSION_STRATEGY, SessionStrategy } from 'src/auth/passport/session.strategy';
import { Tier } from 'src/auth/tier';
import type { ApiKeysSettings } from 'src/api-keys/api-keys.settings';
import type { RateLimitSettings } from 'src/rate-limit/rate-limit.settings';
import type { DeviceTokenVerifier } from 'src/gvp/device-token.verifier';
import { GvpError, GvpStatusCode } from 'src/gvp/gvp.errors';
import { MemoryThrottlerStorage } from 'src/rate-limit/memory-throttler.storage';
import type { AccessTokens } from 'src/sessions/access-tokens';
import type { SessionRevocations } from 'src/sessions/session-revocations';

/** Routes as the application declares them. */
@Controller()
class Routes {
  @Get('probe') @NoCredential('probe') probe(): void {}
  @Get('internal') @Authenticated({ tiers: [Tier.Internal] }) internal(): void {}
  @Get('public') @Authenticated({ tiers: [Tier.Public], session: true }) public(): void {}
  @Get('user') @Authenticated({ session: true }) user(): void {}
  @Get('device') @Authenticated({ device: true }) device(): void {}
}

const keyCaller = (tier: Tier): ApiKeyCaller => ({
  kind: 'api-key',
  id: tier,
  name: tier,
  prefix: tier,
  tier,
  channel: null,
});
/** Hand-written fakes of the verifiers below the boundary: which credentials are good is all they know. */
const KEYS: Record<string, ApiKeyCaller> = {
  'key-internal': keyCaller(Tier.Internal),
  'key-public': keyCaller(Tier.Public),
};
const verifier = {
  verified: new Set<string>(),
  verify(key: string) {
    const caller = KEYS[key];
    if (caller === undefined) {
      return Promise.reject(ApiKeyError.invalid('unknown'));
    }
    this.verified.add(key);
    return Promise.resolve(caller);
  },
  isTrusted(key: string) {
    return this.verified.has(key);
  },
  refuse: (reason: 'malformed') => ApiKeyError.invalid(reason),
};
const accessTokens = {
  verify: (token: string) =>
    Promise.resolve(
      token === 'good-session' ? { auraId: 'aura-1', sessionId: 'sid-1', audience: 'app', roles: [] } : undefined,
    ),
};
const revocations = { hasEnded: () => Promise.resolve(false) };
const devices = {
  verify: (token: string | undefined) =>
    token === 'good-device'
      ? Promise.resolve({ deviceId: 'device-1', subscriber: 'subscriber-1' })
      : Promise.reject(new GvpError(GvpStatusCode.AuthenticationRequired, 401, 'authentication_required', 'bad token')),
};

describe('AuthenticationGuard', () => {
  let guard: AuthenticationGuard;
  let reasons: AuthFailureReason[];

  beforeEach(() => {
    verifier.verified.clear();
    reasons = [];
    const config = {
      APIKEY_QUERY_PARAM_ENABLED: false,
      RATE_LIMIT_TTL_SECONDS: 60,
      AUTH_FAILURE_LIMIT: 2,
    } as ApiKeysSettings & RateLimitSettings;
    const apiKeys = new ApiKeyStrategy(verifier as unknown as ApiKeyVerifier, config);
    const passport = new Passport()
      .use(API_KEY_STRATEGY, apiKeys as unknown as Strategy)
      .use(
        SESSION_STRATEGY,
        new SessionStrategy(
          accessTokens as unknown as AccessTokens,
          revocations as unknown as SessionRevocations,
        ) as unknown as Strategy,
      )
      .use(DEVICE_STRATEGY, new GvpDeviceStrategy(devices as unknown as DeviceTokenVerifier) as unknown as Strategy);
    const failures = { record: (reason: AuthFailureReason) => reasons.push(reason) } as unknown as AuthFailures;
    const limiter = new AuthFailureLimiter(new MemoryThrottlerStorage(), config);
    guard = new AuthenticationGuard(new Reflector(), passport as Authenticator, apiKeys, limiter, failures);
  });

  /** Runs the guard on a route for a request; the caller it admitted, or the error it refused with. */
  async function call(
    route: keyof Routes,
    headers: Record<string, string> = {},
    query: Record<string, string> = {},
    ip = '192.0.2.1',
  ): Promise<Caller | undefined> {
    const request: Record<string, unknown> = {
      headers,
      query,
      ip,
      server: {
        parseCookie: (text: string): Record<string, string> =>
          Object.fromEntries(text.split('; ').map((pair) => pair.split('=') as [string, string])),
      },
    };
    const context = {
      getHandler: () => Routes.prototype[route],
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
    } as unknown as ExecutionContext;
    await guard.canActivate(context);
    return request.user as Caller | undefined;
  }

  it('should let a keyless route through without reading anything', async () => {
    await expect(call('probe', { authorization: 'APIKEY nonsense' })).resolves.toBeUndefined();
  });

  it('should put the caller on request.user: a key, a session or a device', async () => {
    await expect(call('internal', { authorization: 'ApiKey key-internal' })).resolves.toMatchObject({
      kind: 'api-key',
      tier: Tier.Internal,
    });
    await expect(call('public', { cookie: 'authara_access=good-session' })).resolves.toEqual({
      kind: 'session',
      sessionId: 'sid-1',
      auraId: 'aura-1',
      audience: 'app',
    });
    await expect(call('device', {}, { token: 'good-device' })).resolves.toEqual({
      kind: 'device',
      deviceId: 'device-1',
      subscriber: 'subscriber-1',
    });
  });

  it('should judge a request by its API key when it sends one, even beside a valid session', async () => {
    await expect(
      call('public', { 'x-api-key': 'key-public', cookie: 'authara_access=good-session' }),
    ).resolves.toMatchObject({ kind: 'api-key' });
    await expect(call('public', { 'x-api-key': 'wrong', cookie: 'authara_access=good-session' })).rejects.toMatchObject(
      { code: 'api_key_invalid' },
    );
  });

  it('should admit only the credentials a route declares', async () => {
    await expect(call('internal', { cookie: 'authara_access=good-session' })).rejects.toMatchObject({
      code: 'api_key_missing',
    });
    await expect(call('internal', { 'x-api-key': 'key-public' })).rejects.toMatchObject({
      code: 'api_key_tier_forbidden',
    });
    await expect(call('user', { 'x-api-key': 'key-internal' })).rejects.toMatchObject({ code: 'session_invalid' });
    await expect(call('device', { 'x-api-key': 'key-internal' })).rejects.toMatchObject({
      code: GvpStatusCode.AuthenticationRequired,
    });
    expect(reasons).toEqual(['missing', 'tier_forbidden', 'device_invalid']);
  });

  it('should refuse a bad session cookie rather than fall back to nothing', async () => {
    await expect(call('public', { cookie: 'authara_access=forged' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
  });

  it('should refuse two different keys with 400, without counting a failure', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(
        call('public', { 'x-api-key': 'key-public', authorization: 'APIKEY key-internal' }),
      ).rejects.toMatchObject({ code: 'ambiguous_credentials', status: 400 });
    }
    await expect(call('public', { 'x-api-key': 'key-public' })).resolves.toMatchObject({ kind: 'api-key' });
  });

  it('should count failures of every credential kind, and keep a blocked address blocked whatever it sends', async () => {
    await expect(call('public', { 'x-api-key': 'key-public' })).resolves.toBeDefined();
    await expect(call('public', { 'x-api-key': 'wrong-1' })).rejects.toMatchObject({ status: 401 });
    await expect(call('device', {}, { token: 'bad' })).rejects.toMatchObject({ httpStatus: 401 });
    await expect(call('public', { cookie: 'authara_access=forged' })).rejects.toMatchObject({ code: 'rate_limited' });
    for (const [route, headers, query] of [
      ['public', { cookie: 'authara_access=good-session' }, {}],
      ['device', {}, { token: 'good-device' }],
      ['public', { 'x-api-key': 'key-public', authorization: 'APIKEY key-internal' }, {}],
      ['internal', { 'x-api-key': 'key-internal' }, {}],
    ] as const) {
      await expect(call(route, headers, query)).rejects.toMatchObject({ code: 'rate_limited' });
    }
    // The one key it already used, alone, still passes; another address is not affected.
    await expect(call('public', { 'x-api-key': 'key-public' })).resolves.toBeDefined();
    await expect(call('internal', { 'x-api-key': 'key-internal' }, {}, '192.0.2.2')).resolves.toBeDefined();
  });

  it('should not count a page asking whether its browser has a session', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(call('user')).rejects.toMatchObject({ code: 'session_invalid' });
    }
    await expect(call('user', { cookie: 'authara_access=good-session' })).resolves.toMatchObject({ kind: 'session' });
  });
});

import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessGuard } from 'src/api-keys/access.guard';
import type { ApiKeyVerifier } from 'src/api-keys/api-key-verifier';
import { ApiKeyError } from 'src/api-keys/api-keys.errors';
import type { AppConfig } from 'src/config/app-config';
import type { AuthFailureLimiter } from 'src/rate-limit/auth-failure.limiter';
import { Access, NoApiKey } from 'src/common/access/access.decorator';
import type { AuthFailureReason, AuthFailures } from 'src/common/access/auth-failures';
import type { AuthenticatedKey } from 'src/common/access/caller';
import { Tier } from 'src/common/access/tier';

class Routes {
  @NoApiKey()
  keyless(): void {}

  @Access(Tier.Internal, Tier.Kernel)
  internal(): void {}

  @Access(Tier.Public)
  open(): void {}

  undeclared(): void {}
}

/** An HTTP execution context for one handler of Routes, with the request it carries. */
function contextFor(handler: keyof Routes, request: Record<string, unknown>): ExecutionContext {
  return {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

const key = (tier: Tier): AuthenticatedKey => ({ id: 'k', name: 'n', prefix: 'aak_test_k', tier, channel: null });

describe('AccessGuard', () => {
  let reasons: AuthFailureReason[];
  let guard: AccessGuard;
  /** The verifier's part is the e2e suites' business: here it finds `verified` for any key presented. */
  let verified: AuthenticatedKey | undefined;
  let verifications: string[];

  beforeEach(() => {
    reasons = [];
    verified = undefined;
    verifications = [];
    const failures = { record: (reason: AuthFailureReason) => reasons.push(reason) } as unknown as AuthFailures;
    // No address is over the failure limit here: that limiter has its own e2e suite (access-boundary).
    const verifier = {
      isTrusted: () => false,
      verify: (text: string) => {
        verifications.push(text);
        return verified === undefined ? Promise.reject(ApiKeyError.invalid('unknown')) : Promise.resolve(verified);
      },
    } as unknown as ApiKeyVerifier;
    const limiter = {
      blocked: () => undefined,
      fail: () => Promise.resolve(undefined),
    } as unknown as AuthFailureLimiter;
    const config = { APIKEY_QUERY_PARAM_ENABLED: false } as AppConfig;
    guard = new AccessGuard(new Reflector(), failures, verifier, limiter, config);
  });

  it('should let a keyless route through without looking for a key', async () => {
    await expect(guard.canActivate(contextFor('keyless', { headers: { 'x-api-key': 'k' } }))).resolves.toBe(true);
    expect(verifications).toEqual([]);
  });

  it('should refuse a route that declares nothing (deny by default)', async () => {
    await expect(guard.canActivate(contextFor('undeclared', { headers: {} }))).rejects.toMatchObject({
      code: 'api_key_tier_forbidden',
    });
  });

  it('should answer 401 api_key_missing without a key, and api_key_invalid for an unusable header', async () => {
    await expect(guard.canActivate(contextFor('internal', { headers: {} }))).rejects.toMatchObject({
      code: 'api_key_missing',
      status: 401,
    });
    await expect(
      guard.canActivate(contextFor('internal', { headers: { authorization: 'Bearer x' } })),
    ).rejects.toMatchObject({ code: 'api_key_invalid', status: 401 });
    expect(reasons).toEqual(['missing', 'malformed']);
  });

  it('should admit the declared tiers and refuse another with 403', async () => {
    verified = key(Tier.Kernel);
    await expect(guard.canActivate(contextFor('internal', { headers: { 'x-api-key': 'k' } }))).resolves.toBe(true);
    verified = key(Tier.Public);
    await expect(guard.canActivate(contextFor('internal', { headers: { 'x-api-key': 'k' } }))).rejects.toMatchObject({
      code: 'api_key_tier_forbidden',
      status: 403,
    });
    expect(reasons).toEqual(['tier_forbidden']);
  });

  it('should admit every valid key on a public route', async () => {
    for (const tier of [Tier.Internal, Tier.Kernel, Tier.Public]) {
      verified = key(tier);
      await expect(guard.canActivate(contextFor('open', { headers: { 'x-api-key': 'k' } }))).resolves.toBe(true);
    }
  });

  it('should look for the key in Authorization (APIKEY scheme) first, then X-API-Key, and leave it on the request', async () => {
    verified = key(Tier.Internal);
    const request: Record<string, unknown> = { headers: { authorization: 'APIKEY first', 'x-api-key': 'second' } };
    await expect(guard.canActivate(contextFor('internal', request))).resolves.toBe(true);
    const other: Record<string, unknown> = { headers: { authorization: 'Bearer x', 'x-api-key': 'second' } };
    await expect(guard.canActivate(contextFor('internal', other))).resolves.toBe(true);
    expect(verifications).toEqual(['first', 'second']);
    expect(request.user).toBe(verified);
  });

  it("should refuse with the verifier's 401 when the key found is not valid", async () => {
    await expect(
      guard.canActivate(contextFor('internal', { headers: { authorization: 'APIKEY bad', 'x-api-key': 'good' } })),
    ).rejects.toMatchObject({ code: 'api_key_invalid', status: 401 });
    expect(verifications).toEqual(['bad']);
  });
});

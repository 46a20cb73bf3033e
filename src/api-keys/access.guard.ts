import { type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ALTERNATIVE_CREDENTIAL, type AlternativeCredential } from 'src/common/access/alternative-credential';
import { API_KEY_STRATEGIES } from 'src/api-keys/api-key.strategies';
import { ApiKeyVerifier } from 'src/api-keys/api-key-verifier';
import { presentedKey } from 'src/api-keys/presented-key';
import { ApiKeyError, ApiKeyErrorCode } from 'src/api-keys/api-keys.errors';
import { ACCESS_METADATA, type AccessDeclaration, describeTiers } from 'src/common/access/access.decorator';
import { AuthFailures } from 'src/common/access/auth-failures';
import type { AuthenticatedKey, RequestWithKey } from 'src/common/access/caller';
import { Tier } from 'src/common/access/tier';
import { AppConfig } from 'src/config/app-config';
import { AuthFailureLimiter } from 'src/rate-limit/auth-failure.limiter';

/**
 * The one global guard. Deny by default: a route passes only if it declares `@NoApiKey()`,
 * or `@Access(...)` and the request carries a valid key of an admitted tier.
 */
@Injectable()
export class AccessGuard extends AuthGuard(API_KEY_STRATEGIES) {
  constructor(
    private readonly reflector: Reflector,
    private readonly failures: AuthFailures,
    private readonly verifier: ApiKeyVerifier,
    private readonly limiter: AuthFailureLimiter,
    private readonly config: AppConfig,
    @Optional() @Inject(ALTERNATIVE_CREDENTIAL) private readonly alternative?: AlternativeCredential,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<AccessDeclaration | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access === undefined) {
      // Unreachable once the boot check passed; refusing is the safe answer anyway.
      throw new ApiKeyError(ApiKeyErrorCode.TierForbidden, 'This route admits no caller.');
    }
    if (access.kind === 'none' || (await this.alternative?.admit(context)) === true) {
      return true;
    }
    await this.authenticate(context);
    const key = context.switchToHttp().getRequest<RequestWithKey>().user as AuthenticatedKey;
    if (!access.tiers.includes(Tier.Public) && !access.tiers.includes(key.tier)) {
      this.failures.record('tier_forbidden');
      throw new ApiKeyError(ApiKeyErrorCode.TierForbidden, `This route needs an ${describeTiers(access.tiers)}.`);
    }
    return true;
  }

  /**
   * Failed authentications are limited per client address (429 instead of 401 past AUTH_FAILURE_LIMIT).
   * A blocked address is refused before any lookup, unless it presents a key this replica already trusts.
   */
  private async authenticate(context: ExecutionContext): Promise<void> {
    const request = context.switchToHttp().getRequest<RequestWithKey>();
    const blocked = this.limiter.blocked(request.ip);
    if (blocked !== undefined) {
      const key = presentedKey(request, this.config.APIKEY_QUERY_PARAM_ENABLED);
      if (key === undefined || !this.verifier.isTrusted(key)) {
        throw blocked;
      }
    }
    try {
      await super.canActivate(context);
    } catch (error) {
      if (error instanceof ApiKeyError && error.status === 401) {
        throw (await this.limiter.fail(request.ip)) ?? error;
      }
      throw error;
    }
  }

  /** Passport's verdict: our verifier's error as is; no key found anywhere is "missing", an unusable header "invalid". */
  override handleRequest<T = AuthenticatedKey>(
    error: unknown,
    user: T | false,
    _info: unknown,
    context: ExecutionContext,
  ): T {
    if (error) {
      throw error as Error;
    }
    if (user) {
      return user;
    }
    const { headers } = context.switchToHttp().getRequest<RequestWithKey>();
    if (headers.authorization !== undefined || headers['x-api-key'] !== undefined) {
      this.failures.record('malformed');
      throw ApiKeyError.invalid('malformed');
    }
    this.failures.record('missing');
    throw ApiKeyError.missing();
  }
}

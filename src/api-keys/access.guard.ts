import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { API_KEY_STRATEGIES } from 'src/api-keys/api-key.strategies';
import { ApiKeyError, ApiKeyErrorCode } from 'src/api-keys/api-keys.errors';
import { ACCESS_METADATA, type AccessDeclaration, describeTiers } from 'src/common/access/access.decorator';
import { AuthFailures } from 'src/common/access/auth-failures';
import type { AuthenticatedKey, RequestWithKey } from 'src/common/access/caller';
import { Tier } from 'src/common/access/tier';

/**
 * The one global guard. Deny by default: a route passes only if it declares `@NoApiKey()`,
 * or `@Access(...)` and the request carries a valid key of an admitted tier.
 */
@Injectable()
export class AccessGuard extends AuthGuard(API_KEY_STRATEGIES) {
  constructor(
    private readonly reflector: Reflector,
    private readonly failures: AuthFailures,
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
    if (access.kind === 'none') {
      return true;
    }
    await super.canActivate(context);
    const key = context.switchToHttp().getRequest<RequestWithKey>().user as AuthenticatedKey;
    if (!access.tiers.includes(Tier.Public) && !access.tiers.includes(key.tier)) {
      this.failures.record('tier_forbidden');
      throw new ApiKeyError(ApiKeyErrorCode.TierForbidden, `This route needs an ${describeTiers(access.tiers)}.`);
    }
    return true;
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

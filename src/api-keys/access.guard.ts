import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ALTERNATIVE_CREDENTIAL, type AlternativeCredential } from 'src/common/access/alternative-credential';
import { ApiKeyVerifier } from 'src/api-keys/api-key-verifier';
import { presentedKey } from 'src/api-keys/presented-key';
import { ApiKeyError, ApiKeyErrorCode } from 'src/api-keys/api-keys.errors';
import { ACCESS_METADATA, type AccessDeclaration, describeTiers } from 'src/common/access/access.decorator';
import { AuthFailures } from 'src/common/access/auth-failures';
import type { AuthenticatedKey, RequestWithKey } from 'src/common/access/caller';
import { Tier } from 'src/common/access/tier';
import { AppConfig } from 'src/config/app-config';
import { AuthFailureLimiter } from 'src/rate-limit/auth-failure.limiter';

const AUTHORIZATION_PREFIX = 'APIKEY ';

/** What the guard needs to know of a route, read from its metadata once. */
interface RouteAccess {
  classRef: unknown;
  access: AccessDeclaration | undefined;
}

/**
 * The one global guard. Deny by default: a route passes only if it declares `@NoApiKey()`,
 * or `@Access(...)` and the request carries a valid key of an admitted tier.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  /** Each route's declaration by handler: metadata does not change after boot, and this runs on every request. */
  private readonly routes = new Map<unknown, RouteAccess>();
  private readonly queryEnabled: boolean;

  constructor(
    private readonly reflector: Reflector,
    private readonly failures: AuthFailures,
    private readonly verifier: ApiKeyVerifier,
    private readonly limiter: AuthFailureLimiter,
    config: AppConfig,
    @Optional() @Inject(ALTERNATIVE_CREDENTIAL) private readonly alternative?: AlternativeCredential,
  ) {
    this.queryEnabled = config.APIKEY_QUERY_PARAM_ENABLED;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.accessOf(context);
    if (access === undefined) {
      // Unreachable once the boot check passed; refusing is the safe answer anyway.
      throw new ApiKeyError(ApiKeyErrorCode.TierForbidden, 'This route admits no caller.');
    }
    if (access.kind === 'none') {
      return true;
    }
    const admitted = this.alternative?.admit(context) ?? false;
    if (admitted === true || (admitted !== false && (await admitted))) {
      return true;
    }
    const request = context.switchToHttp().getRequest<RequestWithKey>();
    const key = await this.authenticate(request);
    if (!access.tiers.includes(Tier.Public) && !access.tiers.includes(key.tier)) {
      this.failures.record('tier_forbidden');
      throw new ApiKeyError(ApiKeyErrorCode.TierForbidden, `This route needs an ${describeTiers(access.tiers)}.`);
    }
    return true;
  }

  private accessOf(context: ExecutionContext): AccessDeclaration | undefined {
    const handler = context.getHandler();
    const classRef = context.getClass();
    const known = this.routes.get(handler);
    if (known !== undefined && known.classRef === classRef) {
      return known.access;
    }
    const access = this.reflector.getAllAndOverride<AccessDeclaration | undefined>(ACCESS_METADATA, [
      handler,
      classRef,
    ]);
    this.routes.set(handler, { classRef, access });
    return access;
  }

  /**
   * Failed authentications are limited per client address (429 instead of 401 past AUTH_FAILURE_LIMIT).
   * A blocked address is refused before any lookup, unless it presents a key this replica already trusts.
   */
  private async authenticate(request: RequestWithKey): Promise<AuthenticatedKey> {
    const blocked = this.limiter.blocked(request.ip);
    if (blocked !== undefined) {
      const key = presentedKey(request, this.queryEnabled);
      if (key === undefined || !this.verifier.isTrusted(key)) {
        throw blocked;
      }
    }
    try {
      const key = await this.verify(request);
      request.user = key;
      return key;
    } catch (error) {
      if (error instanceof ApiKeyError && error.status === 401) {
        throw (await this.limiter.fail(request.ip)) ?? error;
      }
      throw error;
    }
  }

  /**
   * The first key found, looked for in this order: `Authorization: APIKEY <key>`, `X-API-Key`, and
   * `?apiKey=` where APIKEY_QUERY_PARAM_ENABLED allows it (a credential, not an input of the route: the
   * route's query validation does not see it). The verifier's refusal is final; no key found anywhere is
   * "missing", and an unusable header "invalid".
   */
  private verify(request: RequestWithKey): Promise<AuthenticatedKey> {
    const { headers } = request;
    const authorization = headers.authorization;
    if (typeof authorization === 'string' && authorization.startsWith(AUTHORIZATION_PREFIX)) {
      return this.verifier.verify(authorization.slice(AUTHORIZATION_PREFIX.length));
    }
    const header = headers['x-api-key'];
    if (typeof header === 'string' && header !== '') {
      return this.verifier.verify(header);
    }
    const query = this.queryEnabled ? (request.query as Record<string, unknown> | undefined) : undefined;
    const inQuery = query?.apiKey;
    if (typeof inQuery === 'string' && inQuery !== '') {
      delete query!.apiKey;
      return this.verifier.verify(inQuery);
    }
    if (authorization !== undefined || header !== undefined) {
      this.failures.record('malformed');
      throw ApiKeyError.invalid('malformed');
    }
    this.failures.record('missing');
    throw ApiKeyError.missing();
  }
}

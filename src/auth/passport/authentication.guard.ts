import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { Authenticator } from 'passport';
import { ApiKeyError, ApiKeyErrorCode } from 'src/api-keys/api-keys.errors';
import { AuthFailureLimiter } from 'src/auth/passport/auth-failure.limiter';
import { AuthFailures } from 'src/auth/auth-failures';
import {
  ACCESS_METADATA,
  type AccessDeclaration,
  admittedCredentials,
  type CredentialKind,
  describeTiers,
} from 'src/auth/authenticated.decorator';
import type { Caller, RequestWithCaller } from 'src/auth/caller';
import { ApiKeyStrategy, API_KEY_STRATEGY } from 'src/auth/passport/api-key.strategy';
import { DEVICE_STRATEGY } from 'src/auth/passport/gvp-device.strategy';
import { SESSION_STRATEGY } from 'src/auth/passport/session.strategy';
import { Tier } from 'src/auth/tier';
import { AppError } from 'src/common/errors/app-error';
import { GvpError } from 'src/gvp/gvp.errors';
import { SessionsError, SessionsErrorCode } from 'src/sessions/sessions.errors';

/** This application's Passport instance (src/auth/passport/auth.module.ts). */
export const PASSPORT = Symbol('PASSPORT');

const STRATEGY: Record<CredentialKind, string> = {
  'api-key': API_KEY_STRATEGY,
  session: SESSION_STRATEGY,
  device: DEVICE_STRATEGY,
};

/** What the guard needs of a route, read from its metadata once. */
interface RoutePlan {
  classRef: unknown;
  declaration: AccessDeclaration | undefined;
  strategies: string[];
}

/**
 * The one global guard: deny by default. A route passes only if it declares `@NoCredential()`, or
 * `@Authenticated()` and the request presents one of the credentials it admits — tried by Passport in the
 * declared order (API key, session, device): a credential that is absent passes to the next, one that is
 * present and bad ends the request. The caller lands on `request.user`; an API key's tier is checked last.
 *
 * Failed authentications (401, any credential) are limited per client address (AuthFailureLimiter): a
 * blocked address is refused before anything is verified, whatever it sends, unless the one API key it
 * presents is one this replica has already verified (so that a busy NAT address is not locked out by one
 * abuser).
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly plans = new Map<unknown, RoutePlan>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(PASSPORT) private readonly passport: Authenticator,
    private readonly apiKeys: ApiKeyStrategy,
    private readonly limiter: AuthFailureLimiter,
    private readonly failures: AuthFailures,
  ) {}

  /** Synchronous for a keyless route: Nest then awaits nothing before its handler. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const { declaration, strategies } = this.planOf(context);
    if (declaration === undefined) {
      // Unreachable once the boot check passed; refusing is the safe answer anyway.
      throw new ApiKeyError(ApiKeyErrorCode.TierForbidden, 'This route admits no caller.');
    }
    return declaration.kind === 'none' ? true : this.admit(context, declaration, strategies);
  }

  /** Authenticates the request with the route's credentials; the caller lands on `request.user`. */
  private async admit(
    context: ExecutionContext,
    declaration: Extract<AccessDeclaration, { kind: 'credentials' }>,
    strategies: string[],
  ): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithCaller>();
    const blocked = this.limiter.blocked(request.ip);
    if (blocked !== undefined && !(declaration.tiers.length > 0 && this.apiKeys.presentsTrustedKey(request))) {
      throw blocked;
    }
    let caller: Caller | undefined;
    try {
      caller = await this.authenticate(request, http.getResponse<FastifyReply>(), strategies);
    } catch (error) {
      throw await this.counted(request, error);
    }
    if (caller === undefined) {
      if (declaration.tiers.length === 0) {
        // Not counted as a failure: a page asking whether its browser is signed in guesses nothing.
        throw new SessionsError(
          SessionsErrorCode.SessionInvalid,
          'A browser session (`authara_access` cookie) is required.',
        );
      }
      this.failures.record('missing');
      throw await this.counted(request, ApiKeyError.missing());
    }
    if (
      caller.kind === 'api-key' &&
      !declaration.tiers.includes(Tier.Public) &&
      !declaration.tiers.includes(caller.tier)
    ) {
      this.failures.record('tier_forbidden');
      throw new ApiKeyError(ApiKeyErrorCode.TierForbidden, `This route needs an ${describeTiers(declaration.tiers)}.`);
    }
    request.user = caller;
    return true;
  }

  /** Runs the route's strategies through Passport: the caller, undefined when none of them was presented. */
  private authenticate(
    request: RequestWithCaller,
    reply: FastifyReply,
    strategies: string[],
  ): Promise<Caller | undefined> {
    return new Promise((resolve, reject) => {
      const done = (error: Error | null | undefined, caller: Caller | false | undefined) => {
        if (error !== null && error !== undefined) {
          reject(error);
        } else {
          resolve(caller === false ? undefined : caller);
        }
      };
      const middleware = this.passport.authenticate(strategies, { session: false }, done) as (
        request: unknown,
        reply: unknown,
        next: (error?: Error) => void,
      ) => void;
      // Called only when a strategy redirects or passes, which none of ours does.
      middleware(request, reply, (error) => (error === undefined ? resolve(undefined) : reject(error)));
    });
  }

  /** A failed authentication (401) counts against the client address; past the limit it becomes a 429. */
  private async counted(request: RequestWithCaller, error: unknown): Promise<unknown> {
    if (!isUnauthenticated(error)) {
      return error;
    }
    // API-key refusals are counted by the verifier, with their reason; the other kinds here.
    if (error instanceof SessionsError) {
      this.failures.record('session_invalid');
    } else if (error instanceof GvpError) {
      this.failures.record('device_invalid');
    }
    return (await this.limiter.fail(request.ip)) ?? error;
  }

  private planOf(context: ExecutionContext): RoutePlan {
    const handler = context.getHandler();
    const classRef = context.getClass();
    const known = this.plans.get(handler);
    if (known !== undefined && known.classRef === classRef) {
      return known;
    }
    const declaration = this.reflector.getAllAndOverride<AccessDeclaration | undefined>(ACCESS_METADATA, [
      handler,
      classRef,
    ]);
    const strategies = declaration === undefined ? [] : admittedCredentials(declaration).map((kind) => STRATEGY[kind]);
    const plan = { classRef, declaration, strategies };
    this.plans.set(handler, plan);
    return plan;
  }
}

/** A refusal that says "who are you?" (401), as opposed to "not you" (403) or "bad request" (400). */
function isUnauthenticated(error: unknown): boolean {
  return (error instanceof AppError && error.status === 401) || (error instanceof GvpError && error.httpStatus === 401);
}

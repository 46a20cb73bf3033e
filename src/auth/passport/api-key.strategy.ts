import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { ApiKeyVerifier } from 'src/api-keys/api-key-verifier';
import type { ApiKeyCaller } from 'src/auth/caller';
import { API_KEY_HEADER, consumeQueryApiKey, presentedApiKey } from 'src/auth/credentials';
import { ApiKeysSettings } from 'src/api-keys/api-keys.settings';

export const API_KEY_STRATEGY = 'api-key';

/** Passport's types name Express's request; Nest on Fastify hands strategies Fastify's. */
type PassportRequest = Parameters<HeaderAPIKeyStrategy['authenticate']>[0];

/**
 * API keys, on passport-headerapikey. The library reads one header with a case-sensitive prefix; keys also
 * come as `Authorization: APIKEY <key>` with any case of the scheme, and two different keys must be refused.
 * So the boundary's reader (src/auth/credentials.ts) finds the one key, and the library's flow runs on it as
 * an `X-API-Key` header: absent → fail (the route's next credential is tried), present → verified.
 */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, API_KEY_STRATEGY) {
  private readonly queryEnabled: boolean;

  constructor(
    private readonly verifier: ApiKeyVerifier,
    config: ApiKeysSettings,
  ) {
    super({ header: API_KEY_HEADER, prefix: '' }, false);
    this.queryEnabled = config.APIKEY_QUERY_PARAM_ENABLED;
  }

  override authenticate(req: PassportRequest, options?: object): void {
    const request = req as unknown as FastifyRequest;
    // Passport's per-request actions; the library's typings do not declare them.
    const passport = this as unknown as { error(error: Error): void };
    let presented;
    try {
      presented = presentedApiKey(request, this.queryEnabled);
    } catch (error) {
      return passport.error(error as Error);
    }
    if (this.queryEnabled) {
      consumeQueryApiKey(request);
    }
    if (presented.unusable) {
      return passport.error(this.verifier.refuse('malformed'));
    }
    super.authenticate({ headers: { [API_KEY_HEADER]: presented.key } } as unknown as PassportRequest, options);
  }

  /** Verified keys are cached: a known key costs one SHA-256 and a map look-up (ApiKeyVerifier). */
  validate(key: string): Promise<ApiKeyCaller> {
    return this.verifier.verify(key);
  }

  /** Whether the request's one key is a key this replica has already verified (see AuthenticationGuard). */
  presentsTrustedKey(request: FastifyRequest): boolean {
    try {
      const { key } = presentedApiKey(request, this.queryEnabled);
      return key !== undefined && this.verifier.isTrusted(key);
    } catch {
      return false;
    }
  }
}

import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as PassportBaseStrategy } from 'passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { ApiKeyVerifier } from 'src/api-keys/api-key-verifier';
import type { AuthenticatedKey } from 'src/common/access/caller';
import { AppConfig } from 'src/config/app-config';

export const API_KEY_STRATEGIES = ['apikey-authorization', 'apikey-header', 'apikey-query'];

/** `Authorization: APIKEY <key>` — how Kernel sends its keys. */
@Injectable()
export class AuthorizationApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, 'apikey-authorization') {
  constructor(private readonly verifier: ApiKeyVerifier) {
    super({ header: 'Authorization', prefix: 'APIKEY ' }, false);
  }

  validate(key: string): Promise<AuthenticatedKey> {
    return this.verifier.verify(key);
  }
}

/** `X-API-Key: <key>`. */
@Injectable()
export class HeaderApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, 'apikey-header') {
  constructor(private readonly verifier: ApiKeyVerifier) {
    super({ header: 'X-API-Key', prefix: '' }, false);
  }

  validate(key: string): Promise<AuthenticatedKey> {
    return this.verifier.verify(key);
  }
}

type Verify = (key: string, done: (error: unknown, user?: unknown) => void) => void;

/** `?apiKey=<key>`, only where APIKEY_QUERY_PARAM_ENABLED allows it; otherwise it never finds a key. */
class QueryApiKeyPassportStrategy extends PassportBaseStrategy {
  constructor(
    private readonly enabled: boolean,
    private readonly verifyKey: Verify,
  ) {
    super();
  }

  override authenticate(request: { query?: Record<string, unknown> }): void {
    const key = this.enabled ? request.query?.apiKey : undefined;
    if (typeof key !== 'string' || key === '') {
      this.fail(undefined, 401);
      return;
    }
    // A credential, not an input of the route: the route's query validation must not see it.
    delete request.query?.apiKey;
    this.verifyKey(key, (error, user) => (error ? this.error(error) : this.success(user as object)));
  }
}

@Injectable()
export class QueryApiKeyStrategy extends PassportStrategy(QueryApiKeyPassportStrategy, 'apikey-query') {
  constructor(
    private readonly verifier: ApiKeyVerifier,
    config: AppConfig,
  ) {
    super(config.APIKEY_QUERY_PARAM_ENABLED);
  }

  validate(key: string): Promise<AuthenticatedKey> {
    return this.verifier.verify(key);
  }
}

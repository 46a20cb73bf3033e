import { Injectable } from '@nestjs/common';
import { createLocalJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { SessionsSettings } from 'src/sessions/sessions.settings';
import { KeysService } from 'src/openid/keys.service';

/** `typ` of session access tokens (RFC 9068): no other token this service signs can pass for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Who a valid access token speaks for. */
export interface SessionPrincipal {
  auraId: string;
  sessionId: string;
  audience: string;
  roles: string[];
}

/**
 * Access tokens of browser sessions: signed by the service's active signing key (KeysService), verified
 * here against the service's own public keys, with no shared secret — any backend can do the same
 * through /openid/jwk.
 */
@Injectable()
export class AccessTokens {
  private readonly jwks: JWTVerifyGetKey;
  private readonly issuer: string;
  private readonly audiences: string[];
  readonly ttlSeconds: number;

  constructor(
    private readonly keys: KeysService,
    config: SessionsSettings,
  ) {
    this.jwks = createLocalJWKSet({ keys: keys.ownPublicKeys().map((key) => ({ ...key })) });
    this.issuer = keys.issuer;
    this.audiences = config.sessionAudiences;
    this.ttlSeconds = config.SESSION_ACCESS_TTL_SECONDS;
  }

  sign(principal: SessionPrincipal): Promise<string> {
    return this.keys.sign(
      { sub: principal.auraId, aud: principal.audience, sid: principal.sessionId, roles: principal.roles },
      { expiresInSeconds: this.ttlSeconds, type: ACCESS_TOKEN_TYPE },
    );
  }

  /** The principal of a valid token; undefined for anything else (absent, forged, expired, foreign). */
  async verify(token: string | undefined): Promise<SessionPrincipal | undefined> {
    if (token === undefined) {
      return undefined;
    }
    try {
      const { payload } = await jwtVerify(token, this.jwks, {
        issuer: this.issuer,
        audience: this.audiences,
        algorithms: this.keys.algorithms(),
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      });
      const { sub, sid, aud, roles } = payload;
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof aud !== 'string' || !isStringArray(roles)) {
        return undefined;
      }
      return { auraId: sub, sessionId: sid, audience: aud, roles };
    } catch {
      return undefined;
    }
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

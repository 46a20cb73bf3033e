import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { SessionCaller } from 'src/auth/caller';
import { presentedSessionToken } from 'src/auth/credentials';
import { RequestStrategy } from 'src/auth/passport/request.strategy';
import { AccessTokens } from 'src/sessions/access-tokens';
import { SessionRevocations } from 'src/sessions/session-revocations';
import { SessionsError, SessionsErrorCode } from 'src/sessions/sessions.errors';

export const SESSION_STRATEGY = 'session';

/**
 * A browser session: the `authara_access` cookie. The token is verified locally (signature, issuer,
 * audience, expiry), and its session must not have ended: known from memory on every replica within about a
 * second of its revocation (SessionRevocations).
 */
@Injectable()
export class SessionStrategy extends PassportStrategy(RequestStrategy, SESSION_STRATEGY) {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly revocations: SessionRevocations,
  ) {
    super();
  }

  async validate(request: FastifyRequest): Promise<SessionCaller | false> {
    const token = presentedSessionToken(request);
    if (token === undefined) {
      return false;
    }
    const principal = await this.accessTokens.verify(token);
    if (principal === undefined || (await this.revocations.hasEnded(principal))) {
      throw new SessionsError(
        SessionsErrorCode.SessionInvalid,
        'The session cookie is invalid or expired; refresh it.',
      );
    }
    return {
      kind: 'session',
      sessionId: principal.sessionId,
      auraId: principal.auraId,
      audience: principal.audience,
    };
  }
}

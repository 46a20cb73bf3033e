import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AlternativeCredential } from 'src/common/access/alternative-credential';
import { SESSION_ADMITTED_METADATA, type SessionAdmission } from 'src/sessions/admits-session.decorator';
import { AccessTokens, type SessionPrincipal } from 'src/sessions/access-tokens';
import { ACCESS_COOKIE, readCookie } from 'src/sessions/session-cookies';
import { SessionRevocations } from 'src/sessions/session-revocations';
import { SessionsError, SessionsErrorCode } from 'src/sessions/sessions.errors';

export type RequestWithSession = FastifyRequest & { session?: SessionPrincipal };

/**
 * A browser session as the credential of the routes declared `@AdmitsSession()`: asked by the access
 * guard before the API key. It admits a request that carries no API key and a valid `authara_access`
 * cookie. The token is verified locally (signature, issuer, audience, expiry), and its session must not have
 * ended: known from memory on every replica within about a second of its revocation (SessionRevocations).
 */
@Injectable()
export class SessionCredential implements AlternativeCredential {
  /** Each route's admission by handler: metadata does not change after boot, and this runs on every request. */
  private readonly admissions = new Map<unknown, SessionAdmission | undefined>();

  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokens,
    private readonly revocations: SessionRevocations,
  ) {}

  /** Synchronous `false` on the routes that admit no session: the common case costs one Map look-up. */
  admit(context: ExecutionContext): boolean | Promise<boolean> {
    const handler = context.getHandler();
    let admission = this.admissions.get(handler);
    if (admission === undefined && !this.admissions.has(handler)) {
      admission = this.reflector.get<SessionAdmission | undefined>(SESSION_ADMITTED_METADATA, handler);
      this.admissions.set(handler, admission);
    }
    return admission === undefined ? false : this.admitSession(context, admission);
  }

  private async admitSession(context: ExecutionContext, admission: SessionAdmission): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithSession>();
    const { headers, query } = request;
    const apiKeySent =
      headers.authorization !== undefined ||
      headers['x-api-key'] !== undefined ||
      (query as Record<string, unknown> | undefined)?.apiKey !== undefined;
    const token = readCookie(request, ACCESS_COOKIE);
    if (apiKeySent || token === undefined) {
      return false;
    }
    const principal = await this.accessTokens.verify(token);
    if (principal === undefined || (await this.revocations.hasEnded(principal))) {
      throw new SessionsError(
        SessionsErrorCode.SessionInvalid,
        'The session cookie is invalid or expired; refresh it.',
      );
    }
    if (admission.bindsUserId) {
      this.bindUserId(query as Record<string, unknown>, principal);
    }
    request.session = principal;
    return true;
  }

  /** The Direct Line user of a session is its own auraId (`dl_<auraId>`), never another one. */
  private bindUserId(query: Record<string, unknown>, principal: SessionPrincipal): void {
    const requested = query.userId;
    if (requested !== undefined && requested !== principal.auraId) {
      throw new SessionsError(
        SessionsErrorCode.SessionUserMismatch,
        'A session may only ask for Direct Line tokens of its own auraId.',
      );
    }
    query.userId = principal.auraId;
  }
}

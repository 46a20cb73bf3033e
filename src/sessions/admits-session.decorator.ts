import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiCookieAuth, ApiExtension } from '@nestjs/swagger';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { SessionsErrorCode } from 'src/sessions/sessions.errors';
import { ACCESS_COOKIE_SCHEME } from 'src/sessions/session-schemes';

export const SESSION_ADMITTED_METADATA = 'aura:session-admitted';

export interface SessionAdmission {
  /**
   * The route's `userId` query names the Direct Line user: with a session it is the session's auraId
   * (set when absent), and another one is refused with 403.
   */
  bindsUserId: boolean;
}

/**
 * The route also admits a browser session (a valid `authara_access` cookie) instead of an API key
 * (docs/sessions.md "A session as a credential"). An API key, when sent, is still what counts.
 */
export function AdmitsSession(admission: SessionAdmission = { bindsUserId: false }): MethodDecorator {
  return applyDecorators(
    SetMetadata(SESSION_ADMITTED_METADATA, admission),
    ApiCookieAuth(ACCESS_COOKIE_SCHEME),
    ApiExtension('x-session-admitted', true),
    ApiProblem(401, 'Without an API key: the `authara_access` cookie is not a valid access token of this service.', [
      SessionsErrorCode.SessionInvalid,
    ]),
    ...(admission.bindsUserId
      ? [
          ApiProblem(403, 'With a session: `userId` differs from the auraId of the session.', [
            SessionsErrorCode.SessionUserMismatch,
          ]),
        ]
      : []),
  );
}

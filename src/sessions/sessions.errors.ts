import { AppError } from 'src/common/errors/app-error';
import { errorStatuses } from 'src/common/errors/error-statuses';

/**
 * Codes of the session surface. The first six are Authara's (answered as `{ "error": { code, message } }`
 * on /auth/api/v1); the `session_*` ones are answered as problem+json by the routes a session also admits.
 */
export enum SessionsErrorCode {
  Unauthorized = 'unauthorized',
  InvalidRequest = 'invalid_request',
  /** Authara's code for a refused CSRF check (a missing or wrong X-CSRF-Token). */
  Forbidden = 'forbidden',
  /** No such route under /auth/api/v1 (Authara's envelope, not problem+json). */
  NotFound = 'not_found',
  RateLimited = 'rate_limited',
  InternalError = 'internal_error',
  /** An `authara_access` cookie that is not a valid access token of this service (problem+json routes). */
  SessionInvalid = 'session_invalid',
  /** A session asked for a Direct Line token of another user (problem+json routes). */
  SessionUserMismatch = 'session_user_mismatch',
}

const status = errorStatuses<SessionsErrorCode>({
  [SessionsErrorCode.Unauthorized]: 401,
  [SessionsErrorCode.InvalidRequest]: 400,
  [SessionsErrorCode.Forbidden]: 403,
  [SessionsErrorCode.NotFound]: 404,
  [SessionsErrorCode.RateLimited]: 429,
  [SessionsErrorCode.InternalError]: 500,
  [SessionsErrorCode.SessionInvalid]: 401,
  [SessionsErrorCode.SessionUserMismatch]: 403,
});

export class SessionsError extends AppError {
  constructor(
    override readonly code: SessionsErrorCode,
    detail: string,
    headers?: Record<string, string>,
  ) {
    super(code, detail, {}, headers);
  }

  get status(): number {
    return status(this.code);
  }

  static unauthorized(message = 'No valid session.'): SessionsError {
    return new SessionsError(SessionsErrorCode.Unauthorized, message);
  }
}

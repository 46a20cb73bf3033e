import { AppError } from 'src/common/errors/app-error';
import { errorStatuses } from 'src/common/errors/error-statuses';

/** Refusals decided by the boundary itself (the verifiers below it have their own codes). */
export enum AuthErrorCode {
  /** Two different API keys in one request (say `Authorization` and `X-API-Key`): which one acts is not guessed. */
  AmbiguousCredentials = 'ambiguous_credentials',
  /** A channel-bound key acting on another channel's data. */
  ChannelForbidden = 'api_key_channel_forbidden',
}

const status = errorStatuses<AuthErrorCode>({
  [AuthErrorCode.AmbiguousCredentials]: 400,
  [AuthErrorCode.ChannelForbidden]: 403,
});

export class AuthError extends AppError {
  constructor(
    override readonly code: AuthErrorCode,
    detail: string,
  ) {
    super(code, detail);
  }

  get status(): number {
    return status(this.code);
  }
}

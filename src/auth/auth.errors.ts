import { AppError } from 'src/common/errors/app-error';

/** Refusals decided by the boundary itself (the verifiers below it have their own codes). */
export enum AuthErrorCode {
  /** Two different API keys in one request (say `Authorization` and `X-API-Key`): which one acts is not guessed. */
  AmbiguousCredentials = 'ambiguous_credentials',
  /** A channel-bound key acting on another channel's data. */
  ChannelForbidden = 'api_key_channel_forbidden',
}

export class AuthError extends AppError {
  constructor(
    override readonly code: AuthErrorCode,
    detail: string,
  ) {
    super(code, detail);
  }

  get status(): number {
    switch (this.code) {
      case AuthErrorCode.AmbiguousCredentials:
        return 400;
      case AuthErrorCode.ChannelForbidden:
        return 403;
    }
  }
}

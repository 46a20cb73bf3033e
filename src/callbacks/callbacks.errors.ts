import { AppError } from 'src/common/errors/app-error';

export enum CallbacksErrorCode {
  /** Not a sealed value of a known version and shape. */
  Malformed = 'callback_malformed',
  /** Sealed with a key id this service does not hold. */
  UnknownKey = 'callback_unknown_key',
  /** Failed authentication: forged or altered. */
  Invalid = 'callback_invalid',
  /** Authentic, but sealed for the other callback (login vs logout). */
  WrongPurpose = 'callback_wrong_purpose',
  /** Authentic, but past its expiry (or issued in the future). */
  Expired = 'callback_expired',
  /** Authentic, but already used once. */
  Replayed = 'callback_replayed',
  /** Authentic, but the payload is not what Kernel must send. */
  PayloadInvalid = 'callback_payload_invalid',
  /** Authentic, but asks to redirect to an origin outside CALLBACK_REDIRECT_ALLOWLIST. */
  RedirectRefused = 'callback_redirect_refused',
}

export class CallbacksError extends AppError {
  constructor(
    override readonly code: CallbacksErrorCode,
    detail: string,
    extensions?: Record<string, unknown>,
  ) {
    super(code, detail, extensions);
  }

  get status(): number {
    switch (this.code) {
      case CallbacksErrorCode.Malformed:
      case CallbacksErrorCode.PayloadInvalid:
      case CallbacksErrorCode.RedirectRefused:
        return 400;
      case CallbacksErrorCode.UnknownKey:
      case CallbacksErrorCode.Invalid:
      case CallbacksErrorCode.WrongPurpose:
      case CallbacksErrorCode.Expired:
      case CallbacksErrorCode.Replayed:
        return 401;
    }
  }
}

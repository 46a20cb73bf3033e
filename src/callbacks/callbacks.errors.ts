import { AppError } from 'src/common/errors/app-error';
import { errorStatuses } from 'src/common/errors/error-statuses';

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

const status = errorStatuses<CallbacksErrorCode>({
  [CallbacksErrorCode.Malformed]: 400,
  [CallbacksErrorCode.UnknownKey]: 401,
  [CallbacksErrorCode.Invalid]: 401,
  [CallbacksErrorCode.WrongPurpose]: 401,
  [CallbacksErrorCode.Expired]: 401,
  [CallbacksErrorCode.Replayed]: 401,
  [CallbacksErrorCode.PayloadInvalid]: 400,
  [CallbacksErrorCode.RedirectRefused]: 400,
});

export class CallbacksError extends AppError {
  constructor(
    override readonly code: CallbacksErrorCode,
    detail: string,
    extensions?: Record<string, unknown>,
  ) {
    super(code, detail, extensions);
  }

  get status(): number {
    return status(this.code);
  }
}

import { AppError } from 'src/common/errors/app-error';
import { errorStatuses } from 'src/common/errors/error-statuses';

export enum DirectLineErrorCode {
  /** No DIRECTLINE_SECRET: the service cannot ask Direct Line for tokens. */
  NotConfigured = 'directline_not_configured',
  /** Direct Line refused the configured secret (401/403): an operator must fix the configuration. */
  SecretRejected = 'directline_secret_rejected',
  /** Direct Line answered a redirect or a client error other than 401/403/429. */
  UnexpectedStatus = 'directline_unexpected_status',
  /** Direct Line could not be reached, dropped the connection or answered 5xx, on every attempt. */
  Unavailable = 'directline_unavailable',
  /** Direct Line answered with a body that is not the documented JSON (or too large). */
  BadResponse = 'directline_bad_response',
  /** Direct Line throttled the service (429) and its Retry-After does not fit in the deadline. */
  Throttled = 'directline_throttled',
  /** No answer from Direct Line within the deadline. */
  Timeout = 'directline_timeout',
  /** Direct Line failed repeatedly: calls fail fast until the circuit breaker lets a probe through. */
  CircuitOpen = 'directline_circuit_open',
}

const status = errorStatuses<DirectLineErrorCode>({
  [DirectLineErrorCode.NotConfigured]: 503,
  [DirectLineErrorCode.SecretRejected]: 502,
  [DirectLineErrorCode.UnexpectedStatus]: 502,
  [DirectLineErrorCode.Unavailable]: 502,
  [DirectLineErrorCode.BadResponse]: 502,
  [DirectLineErrorCode.Throttled]: 503,
  [DirectLineErrorCode.Timeout]: 504,
  [DirectLineErrorCode.CircuitOpen]: 503,
});

export class DirectLineError extends AppError {
  constructor(
    override readonly code: DirectLineErrorCode,
    detail: string,
    /** Seconds after which the caller may retry; sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, detail, {}, retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
  }

  get status(): number {
    return status(this.code);
  }
}

/** What a Kernel sign-in ended with, for the caller to answer in its own terms. */
export enum KernelErrorCode {
  /** Kernel could not be reached, failed, throttled, or answered something unusable. */
  Unavailable = 'kernel_unavailable',
  /** No answer within KERNEL_DEADLINE_MS. */
  Timeout = 'kernel_timeout',
  /** Kernel failed repeatedly: calls fail fast until the circuit breaker lets a probe through. */
  CircuitOpen = 'kernel_circuit_open',
  /** Kernel does not know the subscriber. */
  SubjectUnknown = 'kernel_subject_unknown',
  /** Kernel refused the JWT-bearer assertion this service signed (signature, kid, audience, expiry). */
  AssertionRefused = 'kernel_assertion_refused',
  /** The JWT-bearer assertion could not be signed. */
  SigningFailed = 'kernel_signing_failed',
}

export class KernelError extends Error {
  override readonly name = 'KernelError';

  constructor(
    readonly code: KernelErrorCode,
    message: string,
    /** Seconds after which a retry may succeed (throttling, open breaker). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

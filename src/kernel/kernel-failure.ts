/** How one Kernel attempt went wrong; decides retries, the circuit breaker and the answer to the caller. */
export type KernelFailureKind =
  /** Could not connect, or the connection broke before the whole answer arrived. */
  | 'connection'
  /** The attempt took longer than KERNEL_TIMEOUT_MS. */
  | 'timeout'
  /** The overall KERNEL_DEADLINE_MS ran out. */
  | 'deadline'
  /** 5xx. */
  | 'server_error'
  /** 429. */
  | 'throttled'
  /** 2xx whose body is not the documented JSON, or is too large. */
  | 'bad_response'
  /** Kernel refused this service's client credentials (400 invalid_client, 401, 403), or another 4xx or a redirect. */
  | 'client_rejected'
  /** Kernel does not know the subscriber: `invalid_grant` on the token endpoint, 404 on the profile. */
  | 'subject_unknown'
  /** The assertion could not be signed (no usable private key). */
  | 'signing_failed';

const RETRYABLE: ReadonlySet<KernelFailureKind> = new Set(['connection', 'timeout', 'server_error', 'throttled']);

/** Failures that say Kernel is unwell, and so count towards opening the circuit breaker. */
const UPSTREAM_FAULTS: ReadonlySet<KernelFailureKind> = new Set([
  'connection',
  'timeout',
  'deadline',
  'server_error',
  'throttled',
  'bad_response',
]);

export class KernelFailure extends Error {
  override readonly name = 'KernelFailure';

  constructor(
    readonly kind: KernelFailureKind,
    message: string,
    /** HTTP status of Kernel's answer, when there was one. */
    readonly status?: number,
    /** Kernel's Retry-After, in ms, when it sent a usable one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }

  get isUpstreamFault(): boolean {
    return UPSTREAM_FAULTS.has(this.kind);
  }
}

/** How one attempt at an upstream HTTP service went wrong, whatever the upstream. */
export type UpstreamFailureKind =
  /** Could not connect, or the connection broke before the whole answer arrived. */
  | 'connection'
  /** The attempt took longer than its timeout. */
  | 'timeout'
  /** The call's overall deadline ran out. */
  | 'deadline'
  /** 5xx. */
  | 'server_error'
  /** 429. */
  | 'throttled'
  /** 2xx whose body is not the documented JSON, or is too large. */
  | 'bad_response'
  /** Refused without trying: the circuit breaker is open. */
  | 'circuit_open';

const RETRYABLE: ReadonlySet<string> = new Set(['connection', 'timeout', 'server_error', 'throttled']);

/**
 * Failures that say the upstream is unwell, and so count towards opening the circuit breaker. The kinds an
 * upstream adds of its own (a refused credential, an unknown subject) are answers: it is well enough to give them.
 */
const UPSTREAM_FAULTS: ReadonlySet<string> = new Set([
  'connection',
  'timeout',
  'deadline',
  'server_error',
  'throttled',
  'bad_response',
]);

/**
 * A failed upstream attempt; decides retries, the circuit breaker and the answer to the caller.
 * Each upstream extends it with the kinds of its own (`Kind`).
 */
export class UpstreamFailure<Kind extends string = never> extends Error {
  override readonly name: string = 'UpstreamFailure';

  constructor(
    readonly kind: UpstreamFailureKind | Kind,
    message: string,
    /** HTTP status of the upstream's answer, when there was one. */
    readonly status?: number,
    /** The upstream's Retry-After (or, for `circuit_open`, the time until the next probe), in ms. */
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

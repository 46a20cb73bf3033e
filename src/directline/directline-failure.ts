/** How one Direct Line attempt went wrong; decides retries, the circuit breaker and the answer to the caller. */
export type DirectLineFailureKind =
  /** Could not connect, or the connection broke before the whole answer arrived. */
  | 'connection'
  /** The attempt took longer than DIRECTLINE_TIMEOUT_MS. */
  | 'timeout'
  /** The overall DIRECTLINE_DEADLINE_MS ran out during the attempt. */
  | 'deadline'
  /** 5xx. */
  | 'server_error'
  /** 429. */
  | 'throttled'
  /** 401 or 403: the configured secret is wrong. */
  | 'secret_rejected'
  /** A redirect (never followed) or another 4xx. */
  | 'unexpected_status'
  /** 2xx whose body is not the documented JSON, or is too large. */
  | 'bad_response';

const RETRYABLE: ReadonlySet<DirectLineFailureKind> = new Set(['connection', 'timeout', 'server_error', 'throttled']);

/**
 * Failures that say the upstream is unwell, and so count towards opening the circuit breaker.
 * A refused secret or an unexpected 4xx/redirect is a configuration problem: Direct Line itself answers.
 */
const UPSTREAM_FAULTS: ReadonlySet<DirectLineFailureKind> = new Set([
  'connection',
  'timeout',
  'deadline',
  'server_error',
  'throttled',
  'bad_response',
]);

export class DirectLineFailure extends Error {
  override readonly name = 'DirectLineFailure';

  constructor(
    readonly kind: DirectLineFailureKind,
    message: string,
    /** HTTP status of the upstream answer, when there was one. */
    readonly status?: number,
    /** The upstream's Retry-After, in ms, when it sent a usable one. */
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

/** Longest Retry-After taken into account; anything above is clamped. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** The HTTP-date form senders use (RFC 9110 IMF-fixdate), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Reads a Retry-After header (RFC 9110: delay-seconds or an IMF-fixdate HTTP-date) as milliseconds from `now`.
 * Missing or unreadable values give undefined.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) {
    return undefined;
  }
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) {
    return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  }
  if (!IMF_FIXDATE.test(text)) {
    return undefined;
  }
  const date = Date.parse(text);
  if (Number.isNaN(date)) {
    return undefined;
  }
  return Math.min(Math.max(date - now, 0), MAX_RETRY_AFTER_MS);
}

/** Milliseconds as the whole seconds of a Retry-After response header, at least 1. */
export function toRetryAfterSeconds(milliseconds: number | undefined): number {
  return Math.max(1, Math.ceil((milliseconds ?? 0) / 1000));
}

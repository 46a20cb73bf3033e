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

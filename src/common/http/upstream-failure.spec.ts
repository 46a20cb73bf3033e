import { parseRetryAfter, toRetryAfterSeconds } from 'src/common/http/retry-after';
import { UpstreamFailure } from 'src/common/http/upstream-failure';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('should read delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('should read an HTTP-date as the time left until it', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
  });

  it('should read an HTTP-date in the past as no delay', () => {
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('should clamp absurd delays to a day', () => {
    expect(parseRetryAfter('9999999999', now)).toBe(24 * 3600 * 1000);
  });

  it.each([null, '', 'soon', '-5', '1.5', 'x'.repeat(100)])('should ignore %p', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('toRetryAfterSeconds', () => {
  it('should round up to whole seconds, at least 1', () => {
    expect(toRetryAfterSeconds(undefined)).toBe(1);
    expect(toRetryAfterSeconds(-20)).toBe(1);
    expect(toRetryAfterSeconds(1)).toBe(1);
    expect(toRetryAfterSeconds(1001)).toBe(2);
    expect(toRetryAfterSeconds(30_000)).toBe(30);
  });
});

describe('UpstreamFailure', () => {
  it.each([
    ['connection', true, true],
    ['timeout', true, true],
    ['server_error', true, true],
    ['throttled', true, true],
    ['deadline', false, true],
    ['bad_response', false, true],
    ['circuit_open', false, false],
    ['secret_rejected', false, false],
    ['subject_unknown', false, false],
  ] as const)('should treat %s as retryable=%p, upstream fault=%p', (kind, retryable, upstreamFault) => {
    const failure = new UpstreamFailure<'secret_rejected' | 'subject_unknown'>(kind, 'test');
    expect(failure.retryable).toBe(retryable);
    expect(failure.isUpstreamFault).toBe(upstreamFault);
  });
});

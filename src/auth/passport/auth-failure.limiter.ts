import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';
import { RateLimitSettings } from 'src/rate-limit/rate-limit.settings';

const MAX_BLOCKED_ADDRESSES = 10_000;

/**
 * Failed authentications (401) per client address: at most AUTH_FAILURE_LIMIT per RATE_LIMIT_TTL_SECONDS
 * window, counted in the rate-limit storage (shared through Redis when set). Past the limit, the address
 * gets 429 with Retry-After until the window ends; this replica then refuses it from memory, before any
 * key is looked up (a key it already verified still passes: see AccessGuard).
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly blockedUntil = new Map<string, number>();
  private readonly ttlMs: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly config: RateLimitSettings,
  ) {
    this.ttlMs = config.RATE_LIMIT_TTL_SECONDS * 1000;
  }

  /** The refusal to answer when the address is blocked right now; undefined otherwise. */
  blocked(address: string): CommonError | undefined {
    const until = this.blockedUntil.get(address);
    if (until === undefined) {
      return undefined;
    }
    const now = Date.now();
    if (until <= now) {
      this.blockedUntil.delete(address);
      return undefined;
    }
    return tooManyFailures(Math.ceil((until - now) / 1000));
  }

  /** Counts one failure; returns the refusal to answer instead of the 401 when the address is over its limit. */
  async fail(address: string): Promise<CommonError | undefined> {
    const record = await this.storage.increment(
      `authfail:ip:${address}`,
      this.ttlMs,
      this.config.AUTH_FAILURE_LIMIT,
      this.ttlMs,
      'authfail',
    );
    if (!record.isBlocked) {
      return undefined;
    }
    const seconds = Math.max(1, record.timeToBlockExpire);
    this.blockedUntil.delete(address);
    if (this.blockedUntil.size >= MAX_BLOCKED_ADDRESSES) {
      this.blockedUntil.delete(this.blockedUntil.keys().next().value as string);
    }
    this.blockedUntil.set(address, Date.now() + seconds * 1000);
    return tooManyFailures(seconds);
  }
}

function tooManyFailures(seconds: number): CommonError {
  return new CommonError(
    CommonErrorCode.RateLimited,
    'Too many failed authentications from this address; retry later.',
    {},
    { 'retry-after': String(seconds) },
  );
}

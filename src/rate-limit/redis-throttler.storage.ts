import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import Redis from 'ioredis';

/** Fixed window: the first hit starts the window, every hit counts, one round trip. */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}`;

/**
 * Rate-limit counters in Redis, shared by every replica. When Redis cannot answer, counting
 * falls back to this replica's memory rather than refusing traffic (fail open, logged).
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly redis: Redis;
  private readonly fallback = new ThrottlerStorageService();
  private lastWarning = 0;

  constructor(url: string) {
    this.redis = new Redis(url, {
      keyPrefix: 'aura-auth:ratelimit:',
      connectTimeout: 1_000,
      commandTimeout: 500,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    this.redis.on('error', (error: Error) => this.warn(error));
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    name: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const [hits, remainingMs] = (await this.redis.eval(INCREMENT, 1, key, String(ttl))) as [number, number];
      const seconds = Math.max(1, Math.ceil(remainingMs / 1000));
      return {
        totalHits: hits,
        timeToExpire: seconds,
        isBlocked: hits > limit,
        timeToBlockExpire: hits > limit ? seconds : 0,
      };
    } catch (error) {
      this.warn(error);
      return this.fallback.increment(key, ttl, limit, blockDuration, name);
    }
  }

  onApplicationShutdown(): void {
    this.fallback.onApplicationShutdown();
    // disconnect(), not quit(): it also stops the reconnection loop when Redis was never reachable.
    this.redis.disconnect();
  }

  /** At most one warning a minute: an outage must not flood the logs. */
  private warn(error: unknown): void {
    if (Date.now() - this.lastWarning > 60_000) {
      this.lastWarning = Date.now();
      this.logger.warn({ err: error }, 'Redis unavailable for rate limiting; counting in memory');
    }
  }
}

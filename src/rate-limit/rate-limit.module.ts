import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { RateLimitSettings } from 'src/rate-limit/rate-limit.settings';
import { MemoryThrottlerStorage } from 'src/rate-limit/memory-throttler.storage';
import { throttlers } from 'src/rate-limit/throttlers';

/**
 * Per-caller rate limits with a per-client sub-limit under public keys, and the storage of every count (the
 * boundary's failed-authentication limit too): in memory, or in Redis when REDIS_URL is set so that replicas
 * share the counts. The Redis client is loaded only then (about a tenth of a second at every start otherwise).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [RateLimitSettings],
      useFactory: async (config: RateLimitSettings) => ({
        throttlers: throttlers(config),
        storage:
          config.REDIS_URL === undefined
            ? new MemoryThrottlerStorage()
            : new (await import('src/rate-limit/redis-throttler.storage.js')).RedisThrottlerStorage(config.REDIS_URL),
      }),
    }),
  ],
  exports: [ThrottlerModule],
})
export class RateLimitModule {}

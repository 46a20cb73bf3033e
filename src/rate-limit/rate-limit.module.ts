import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from 'src/config/app-config';
import { MemoryThrottlerStorage } from 'src/rate-limit/memory-throttler.storage';
import { RedisThrottlerStorage } from 'src/rate-limit/redis-throttler.storage';

/** Per-key rate limits: in memory, or in Redis when REDIS_URL is set so that replicas share the counts. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'default', ttl: config.RATE_LIMIT_TTL_SECONDS * 1000, limit: config.RATE_LIMIT_LIMIT }],
        storage:
          config.REDIS_URL === undefined ? new MemoryThrottlerStorage() : new RedisThrottlerStorage(config.REDIS_URL),
      }),
    }),
  ],
})
export class RateLimitModule {}

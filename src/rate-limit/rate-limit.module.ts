import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from 'src/config/app-config';
import { MemoryThrottlerStorage } from 'src/rate-limit/memory-throttler.storage';
import { RedisThrottlerStorage } from 'src/rate-limit/redis-throttler.storage';
import { AuthFailureLimiter } from 'src/rate-limit/auth-failure.limiter';
import { throttlers } from 'src/rate-limit/throttlers';

/**
 * Per-key rate limits with a per-client sub-limit under public keys, and a limit of failed authentications per
 * client address: in memory, or in Redis when REDIS_URL is set so that replicas share the counts.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: throttlers(config),
        storage:
          config.REDIS_URL === undefined ? new MemoryThrottlerStorage() : new RedisThrottlerStorage(config.REDIS_URL),
      }),
    }),
  ],
  providers: [AuthFailureLimiter],
  exports: [AuthFailureLimiter],
})
export class RateLimitModule {}

import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Passport, type Strategy } from 'passport';
import { ApiKeysModule } from 'src/api-keys/api-keys.module';
import { AuthFailureLimiter } from 'src/auth/passport/auth-failure.limiter';
import { AuthenticationGuard, PASSPORT } from 'src/auth/passport/authentication.guard';
import { ChannelAccessModule } from 'src/auth/channel-access.module';
import { RouteAccessRegistry } from 'src/auth/passport/route-access';
import { ApiKeyStrategy, API_KEY_STRATEGY } from 'src/auth/passport/api-key.strategy';
import { DEVICE_STRATEGY, GvpDeviceStrategy } from 'src/auth/passport/gvp-device.strategy';
import { SESSION_STRATEGY, SessionStrategy } from 'src/auth/passport/session.strategy';
import { GvpModule } from 'src/gvp/gvp.module';
import { RateLimitModule } from 'src/rate-limit/rate-limit.module';
import { SessionsModule } from 'src/sessions/sessions.module';

/**
 * The request boundary (ARCHITECTURE.md "A request's path"): one Passport strategy per credential kind, the
 * global AuthenticationGuard that maps each route's `@Authenticated()` onto them, the failed-authentication
 * limit, and the boot check that every route declares its access. The guard is registered globally, with
 * every other global enhancer, in app.module.ts.
 *
 * Passport is one instance per application, not the package's process-wide default: a process that runs
 * two applications (the test suites do) must not have one's strategies answer for the other.
 */
@Module({
  imports: [DiscoveryModule, ApiKeysModule, SessionsModule, GvpModule, RateLimitModule, ChannelAccessModule],
  providers: [
    ApiKeyStrategy,
    SessionStrategy,
    GvpDeviceStrategy,
    {
      provide: PASSPORT,
      inject: [ApiKeyStrategy, SessionStrategy, GvpDeviceStrategy],
      useFactory: (apiKeys: ApiKeyStrategy, sessions: SessionStrategy, devices: GvpDeviceStrategy) =>
        new Passport()
          .use(API_KEY_STRATEGY, apiKeys as unknown as Strategy)
          .use(SESSION_STRATEGY, sessions as unknown as Strategy)
          .use(DEVICE_STRATEGY, devices as unknown as Strategy),
    },
    AuthFailureLimiter,
    AuthenticationGuard,
    RouteAccessRegistry,
  ],
  exports: [AuthenticationGuard, RouteAccessRegistry],
})
export class AuthModule {}

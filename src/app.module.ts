import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AdminModule } from 'src/admin/admin.module';
import { AuthenticationGuard } from 'src/auth/passport/authentication.guard';
import { AuthModule } from 'src/auth/passport/auth.module';
import { AuditModule } from 'src/audit/audit.module';
import { CallbacksModule } from 'src/callbacks/callbacks.module';
import { ClientSettingsModule } from 'src/client-settings/client-settings.module';
import { ProblemFilter } from 'src/common/http/problem.filter';
import { createValidationPipe } from 'src/common/http/validation';
import { MetricsModule } from 'src/common/metrics/metrics.module';
import { AppConfig } from 'src/config/app-config';
import { ConfigModule } from 'src/config/config.module';
import { DatabaseModule } from 'src/database/database.module';
import { GvpModule } from 'src/gvp/gvp.module';
import { HealthModule } from 'src/health/health.module';
import { InvalidationListenerModule } from 'src/invalidation/invalidation.module';
import { OpenIdModule } from 'src/openid/openid.module';
import { ApiKeyThrottlerGuard } from 'src/rate-limit/api-key-throttler.guard';
import { RateLimitModule } from 'src/rate-limit/rate-limit.module';
import { AutharaErrorFilter, SESSION_API_PREFIX } from 'src/sessions/authara-error';
import { SessionsModule } from 'src/sessions/sessions.module';
import { TokenModule } from 'src/token/token.module';
import { UsersModule } from 'src/users/users.module';

/**
 * The application, and the one place where global enhancers are registered: a request meets the
 * authentication guard (src/auth), then the rate limit, then validation; any error becomes a problem+json through the one filter.
 */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MetricsModule,
        AuditModule,
        InvalidationListenerModule,
        AuthModule,
        RateLimitModule,
        HealthModule,
        ClientSettingsModule,
        UsersModule,
        CallbacksModule,
        AdminModule,
        TokenModule,
        OpenIdModule,
        SessionsModule,
        GvpModule,
      ],
      providers: [
        // Guards run in this order: the caller is known before it is counted.
        { provide: APP_GUARD, useExisting: AuthenticationGuard },
        { provide: APP_GUARD, useClass: ApiKeyThrottlerGuard },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // Unknown paths of the session API answer in Authara's envelope, like its routes (docs/sessions.md).
        {
          provide: APP_FILTER,
          useFactory: () => new ProblemFilter([{ prefix: SESSION_API_PREFIX, filter: new AutharaErrorFilter() }]),
        },
      ],
    };
  }
}

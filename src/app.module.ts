import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from 'src/admin/admin.module';
import { ApiKeysModule } from 'src/api-keys/api-keys.module';
import { AuditModule } from 'src/audit/audit.module';
import { CallbacksModule } from 'src/callbacks/callbacks.module';
import { ClientConfigModule } from 'src/client-config/client-config.module';
import { MetricsModule } from 'src/common/metrics/metrics.module';
import { AppConfig } from 'src/config/app-config';
import { ConfigModule } from 'src/config/config.module';
import { DatabaseModule } from 'src/database/database.module';
import { HealthModule } from 'src/health/health.module';
import { InvalidationListenerModule } from 'src/invalidation/invalidation.module';
import { OpenIdModule } from 'src/openid/openid.module';
import { TokenModule } from 'src/token/token.module';
import { UsersModule } from 'src/users/users.module';

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
        ApiKeysModule,
        HealthModule,
        ClientConfigModule,
        UsersModule,
        CallbacksModule,
        AdminModule,
        TokenModule,
        OpenIdModule,
      ],
    };
  }
}

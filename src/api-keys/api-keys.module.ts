import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessGuard } from 'src/api-keys/access.guard';
import { ApiKey } from 'src/api-keys/api-key.entity';
import {
  AuthorizationApiKeyStrategy,
  HeaderApiKeyStrategy,
  QueryApiKeyStrategy,
} from 'src/api-keys/api-key.strategies';
import { ApiKeyIds } from 'src/api-keys/api-key-ids';
import { ApiKeyUsage } from 'src/api-keys/api-key-usage';
import { ApiKeyVerifier, authFailuresProvider } from 'src/api-keys/api-key-verifier';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { ApiKeysService } from 'src/api-keys/api-keys.service';
import { DevelopmentKeys } from 'src/api-keys/development-keys';
import { RouteAccessRegistry } from 'src/api-keys/route-access';
import { ApiKeyThrottlerGuard } from 'src/rate-limit/api-key-throttler.guard';
import { InvalidationModule } from 'src/invalidation/invalidation.module';
import { RateLimitModule } from 'src/rate-limit/rate-limit.module';

/** Management of keys (for the CLI), without the request-path guards. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), InvalidationModule],
  providers: [ApiKeysRepository, ApiKeysService],
  exports: [ApiKeysRepository, ApiKeysService, InvalidationModule],
})
export class ApiKeysManagementModule {}

/** The security boundary: key verification, the global access guard (then the rate limit), the route check. */
@Module({
  imports: [ApiKeysManagementModule, DiscoveryModule, RateLimitModule],
  providers: [
    ApiKeyVerifier,
    ApiKeyIds,
    ApiKeyUsage,
    authFailuresProvider,
    AuthorizationApiKeyStrategy,
    HeaderApiKeyStrategy,
    QueryApiKeyStrategy,
    RouteAccessRegistry,
    DevelopmentKeys,
    // Order matters: the key is known before it is counted.
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_GUARD, useClass: ApiKeyThrottlerGuard },
  ],
  exports: [RouteAccessRegistry, ApiKeyVerifier],
})
export class ApiKeysModule {}

import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AccessGuard } from 'src/api-keys/access.guard';
import { ApiKeyIds } from 'src/api-keys/api-key-ids';
import { ApiKeyUsage } from 'src/api-keys/api-key-usage';
import { ApiKeyVerifier } from 'src/api-keys/api-key-verifier';
import { ApiKeysManagementModule } from 'src/api-keys/api-keys-management.module';
import { DevelopmentKeys } from 'src/api-keys/development-keys';
import { RouteAccessRegistry } from 'src/api-keys/route-access';
import { AccessModule } from 'src/common/access/access.module';
import { RateLimitModule } from 'src/rate-limit/rate-limit.module';

/**
 * The security boundary: key verification and the route check. The access guard is provided here and
 * registered globally, with every other global enhancer, in app.module.ts.
 */
@Module({
  imports: [ApiKeysManagementModule, DiscoveryModule, AccessModule, RateLimitModule],
  providers: [ApiKeyVerifier, ApiKeyIds, ApiKeyUsage, RouteAccessRegistry, DevelopmentKeys, AccessGuard],
  exports: [RouteAccessRegistry, ApiKeyVerifier, AccessGuard],
})
export class ApiKeysModule {}

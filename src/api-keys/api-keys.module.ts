import { Module } from '@nestjs/common';
import { ApiKeyIds } from 'src/api-keys/api-key-ids';
import { ApiKeyUsage } from 'src/api-keys/api-key-usage';
import { ApiKeyVerifier } from 'src/api-keys/api-key-verifier';
import { ApiKeysManagementModule } from 'src/api-keys/api-keys-management.module';
import { DevelopmentKeys } from 'src/api-keys/development-keys';
import { ChannelAccessModule } from 'src/auth/channel-access.module';

/** API keys on the request path: verification, with its cache, and the development keys of a fresh database. */
@Module({
  imports: [ApiKeysManagementModule, ChannelAccessModule],
  providers: [ApiKeyVerifier, ApiKeyIds, ApiKeyUsage, DevelopmentKeys],
  exports: [ApiKeyVerifier],
})
export class ApiKeysModule {}

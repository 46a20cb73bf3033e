import { Module } from '@nestjs/common';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { ApiKeysService } from 'src/api-keys/api-keys.service';
import { InvalidationModule } from 'src/invalidation/invalidation.module';

/** Management of keys (for the CLI), without the request-path guards. */
@Module({
  imports: [InvalidationModule],
  providers: [ApiKeysRepository, ApiKeysService],
  exports: [ApiKeysRepository, ApiKeysService, InvalidationModule],
})
export class ApiKeysManagementModule {}

import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKey } from 'src/api-keys/api-key.entity';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { ApiKeysService } from 'src/api-keys/api-keys.service';
import { InvalidationModule } from 'src/invalidation/invalidation.module';

/** Management of keys (for the CLI), without the request-path guards. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), InvalidationModule],
  providers: [ApiKeysRepository, ApiKeysService],
  exports: [ApiKeysRepository, ApiKeysService, InvalidationModule],
})
export class ApiKeysManagementModule {}

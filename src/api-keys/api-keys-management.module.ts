import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKey } from 'src/api-keys/api-key.entity';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { ApiKeysService } from 'src/api-keys/api-keys.service';

/** Management of keys (for the CLI), without the request-path guards. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKey])],
  providers: [ApiKeysRepository, ApiKeysService],
  exports: [ApiKeysRepository, ApiKeysService],
})
export class ApiKeysManagementModule {}

import { Module } from '@nestjs/common';
import { ClientConfigController } from 'src/client-config/client-config.controller';
import { ClientConfigService } from 'src/client-config/client-config.service';

@Module({ controllers: [ClientConfigController], providers: [ClientConfigService] })
export class ClientConfigModule {}

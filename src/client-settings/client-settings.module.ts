import { Module } from '@nestjs/common';
import { ClientSettingsController } from 'src/client-settings/client-settings.controller';
import { ClientSettingsService } from 'src/client-settings/client-settings.service';

@Module({ controllers: [ClientSettingsController], providers: [ClientSettingsService] })
export class ClientSettingsModule {}

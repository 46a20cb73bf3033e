import { Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';
import { ClientConfigResponseDto } from 'src/client-settings/dto/client-settings.dto';

@Injectable()
export class ClientSettingsService {
  constructor(private readonly config: AppConfig) {}

  get(): ClientConfigResponseDto {
    return { storageSubdomain: this.config.AZURE_STORAGE_SUBDOMAIN };
  }
}

import { Injectable } from '@nestjs/common';
import { ClientConfigSettings } from 'src/client-settings/client-settings.settings';
import { ClientConfigResponseDto } from 'src/client-settings/dto/client-settings.dto';

@Injectable()
export class ClientSettingsService {
  constructor(private readonly config: ClientConfigSettings) {}

  get(): ClientConfigResponseDto {
    return { storageSubdomain: this.config.AZURE_STORAGE_SUBDOMAIN };
  }
}

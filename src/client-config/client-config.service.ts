import { Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';
import { ClientConfigResponseDto } from 'src/client-config/dto/client-config.dto';

@Injectable()
export class ClientConfigService {
  constructor(private readonly config: AppConfig) {}

  get(): ClientConfigResponseDto {
    return { storageSubdomain: this.config.AZURE_STORAGE_SUBDOMAIN };
  }
}

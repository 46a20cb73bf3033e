import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from 'src/common/access/access.decorator';
import { Tier } from 'src/common/access/tier';
import { ClientConfigResponseDto } from 'src/client-settings/dto/client-settings.dto';
import { ClientSettingsService } from 'src/client-settings/client-settings.service';

/** Settings the channel clients read at GET /config. The service's own configuration is src/config/. */
@ApiTags('Configuration')
@Controller('config')
export class ClientSettingsController {
  constructor(private readonly clientConfig: ClientSettingsService) {}

  @Get()
  @Access(Tier.Public)
  @ApiOperation({ summary: 'Name of the Azure Storage subdomain.' })
  @ApiOkResponse({ type: ClientConfigResponseDto })
  getConfig(): ClientConfigResponseDto {
    return this.clientConfig.get();
  }
}

import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from 'src/auth/authenticated.decorator';
import { Tier } from 'src/auth/tier';
import { ClientConfigResponseDto } from 'src/client-settings/dto/client-settings.dto';
import { ClientSettingsService } from 'src/client-settings/client-settings.service';

/** Settings the channel clients read at GET /config. The service's own configuration is src/config/. */
@ApiTags('Configuration')
@Controller('config')
export class ClientSettingsController {
  constructor(private readonly clientConfig: ClientSettingsService) {}

  @Get()
  @Authenticated({ tiers: [Tier.Public], session: true })
  @ApiOperation({ summary: 'Name of the Azure Storage subdomain.' })
  @ApiOkResponse({ type: ClientConfigResponseDto })
  getConfig(): ClientConfigResponseDto {
    return this.clientConfig.get();
  }
}

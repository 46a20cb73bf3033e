import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from 'src/api-keys/access.decorator';
import { Tier } from 'src/api-keys/tier';
import { ClientConfigResponseDto } from 'src/client-config/dto/client-config.dto';
import { ClientConfigService } from 'src/client-config/client-config.service';
import { AdmitsSession } from 'src/sessions/admits-session.decorator';

@ApiTags('Configuration')
@Controller('config')
export class ClientConfigController {
  constructor(private readonly clientConfig: ClientConfigService) {}

  @Get()
  @Access(Tier.Public)
  @AdmitsSession()
  @ApiOperation({ summary: 'Name of the Azure Storage subdomain.' })
  @ApiOkResponse({ type: ClientConfigResponseDto })
  getConfig(): ClientConfigResponseDto {
    return this.clientConfig.get();
  }
}

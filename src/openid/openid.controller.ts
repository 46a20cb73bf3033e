import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { NoApiKey } from 'src/common/access/access.decorator';
import { JwksResponseDto } from 'src/openid/dto/jwks.dto';
import { OpenIdConfigurationResponseDto } from 'src/openid/dto/openid-configuration.dto';
import { OpenIdService } from 'src/openid/openid.service';

const CACHE_HEADERS = {
  ETag: { description: 'Strong entity tag of the key set; send it back in If-None-Match.', schema: { type: 'string' } },
  'Cache-Control': { description: '`public, max-age=<JWKS_MAX_AGE_SECONDS>`.', schema: { type: 'string' } },
};

/**
 * Public key discovery for verifiers of the tokens aura-groot/aura-bot have this service sign
 * (Kernel). Static content built at boot: not rate limited, like the probes.
 */
@ApiTags('OpenID')
@SkipThrottle()
@Controller('openid')
export class OpenIdController {
  constructor(private readonly openId: OpenIdService) {}

  @Get('issuer/.well-known/openid-configuration')
  @NoApiKey()
  @ApiOperation({
    summary: 'OpenID discovery document of the aura-groot/aura-bot issuer; `jwks_uri` names the key set.',
  })
  @ApiOkResponse({ type: OpenIdConfigurationResponseDto, description: 'The discovery document.' })
  getOpenIdConfiguration(): OpenIdConfigurationResponseDto {
    return this.openId.getConfiguration();
  }

  @Get('jwk')
  @NoApiKey()
  @ApiOperation({
    summary:
      'Public keys that verify tokens signed for aura-groot/aura-bot (JWKS): the active key, the next one and retired ones.',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'ETag of a copy the client holds.' })
  @ApiOkResponse({ type: JwksResponseDto, description: 'The key set (JWKS).', headers: CACHE_HEADERS })
  @ApiResponse({ status: 304, description: 'The key set has not changed since the ETag sent.', headers: CACHE_HEADERS })
  getJwks(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    const response = this.openId.getJwks(ifNoneMatch);
    void reply.code(response.statusCode).headers(response.headers).send(response.body);
  }
}

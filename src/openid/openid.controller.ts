import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NoCredential } from 'src/auth/authenticated.decorator';
import { JwksResponseDto } from 'src/openid/dto/jwks.dto';
import { OpenIdConfigurationResponseDto } from 'src/openid/dto/openid-configuration.dto';
import { OpenIdService, type PreparedResponse } from 'src/openid/openid.service';

const CACHE_HEADERS = {
  ETag: {
    description: 'Strong entity tag of the document; send it back in If-None-Match.',
    schema: { type: 'string' },
  },
  'Cache-Control': { description: '`public, max-age=<JWKS_MAX_AGE_SECONDS>`.', schema: { type: 'string' } },
};
const IF_NONE_MATCH = { name: 'If-None-Match', required: false, description: 'ETag of a copy the client holds.' };

/** The prepared bytes go out as they are: no serialisation on the way. */
function send(reply: FastifyReply, response: PreparedResponse): void {
  void reply.code(response.statusCode).headers(response.headers).send(response.body);
}

/**
 * Public key discovery for verifiers of the tokens aura-groot/aura-bot have this service sign
 * (Kernel). Documents built at boot, with ETags: not rate limited, like the probes. If-None-Match is read
 * from the request, not through `@Headers()`, which would run the global validation pipe on a plain string.
 */
@ApiTags('OpenID')
@SkipThrottle()
@Controller('openid')
export class OpenIdController {
  constructor(private readonly openId: OpenIdService) {}

  @Get('issuer/.well-known/openid-configuration')
  @NoCredential('key discovery')
  @ApiOperation({
    summary: 'OpenID discovery document of the aura-groot/aura-bot issuer; `jwks_uri` names the key set.',
  })
  @ApiHeader(IF_NONE_MATCH)
  @ApiOkResponse({
    type: OpenIdConfigurationResponseDto,
    description: 'The discovery document.',
    headers: CACHE_HEADERS,
  })
  @ApiResponse({
    status: 304,
    description: 'The document has not changed since the ETag sent.',
    headers: CACHE_HEADERS,
  })
  getOpenIdConfiguration(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    send(reply, this.openId.configuration.respond(request.headers['if-none-match']));
  }

  @Get('jwk')
  @NoCredential('key discovery')
  @ApiOperation({
    summary:
      'Public keys that verify tokens signed for aura-groot/aura-bot (JWKS): the active key, the next one and retired ones.',
  })
  @ApiHeader(IF_NONE_MATCH)
  @ApiOkResponse({ type: JwksResponseDto, description: 'The key set (JWKS).', headers: CACHE_HEADERS })
  @ApiResponse({ status: 304, description: 'The key set has not changed since the ETag sent.', headers: CACHE_HEADERS })
  getJwks(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    send(reply, this.openId.jwks.respond(request.headers['if-none-match']));
  }
}

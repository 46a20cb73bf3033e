import { Controller, Get, Header, Query, UseFilters } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from 'src/auth/authenticated.decorator';
import { Caller, type DeviceCaller } from 'src/auth/caller';
import { RequestId } from 'src/common/http/request-id.decorator';
import { GvpQueryDto } from 'src/gvp/dto/gvp-query.dto';
import { GvpAuraIdResponseDto, GvpAuraTokenResponseDto } from 'src/gvp/dto/gvp-response.dto';
import { ApiGvpErrors } from 'src/gvp/gvp-api.decorator';
import { GvpStatusCode } from 'src/gvp/gvp.errors';
import { GvpFilter } from 'src/gvp/gvp.filter';
import { GvpService } from 'src/gvp/gvp.service';

const SIGN_IN_ERRORS = [
  GvpStatusCode.AuthenticationRequired,
  GvpStatusCode.InvalidRequest,
  GvpStatusCode.RateLimited,
  GvpStatusCode.FourthPlatformNotAvailable,
  GvpStatusCode.UserNotFoundInFourthPlatform,
  GvpStatusCode.AuraBearerGenerationException,
  GvpStatusCode.DeviceSignInNotConfigured,
  GvpStatusCode.DeviceKeysNotAvailable,
  GvpStatusCode.InternalError,
] as const;

const TOKEN_HEADER_DOC = {
  name: 'X-GVP-Token',
  required: false,
  description: 'The GVP session token of the device, when not sent as `?token=`.',
};

@ApiTags('GVP')
@Controller('gvp')
@UseFilters(GvpFilter)
export class GvpController {
  constructor(private readonly gvp: GvpService) {}

  @Get('aura-id')
  @ApiGvpErrors([...SIGN_IN_ERRORS])
  @Authenticated({ device: true })
  @Header('cache-control', 'no-store')
  @ApiHeader(TOKEN_HEADER_DOC)
  @ApiOperation({
    summary:
      "GVP's GetAuraId: the auraId linked to the device of the GVP session token; an unknown device signs in " +
      'at Kernel (JWT-bearer grant) and is linked. Answers in GVP’s envelope (docs/gvp.md).',
  })
  @ApiOkResponse({ type: GvpAuraIdResponseDto, description: 'StatusCode 0: the device’s auraId.' })
  getGvpAuraId(
    @Query() _query: GvpQueryDto,
    @Caller() device: DeviceCaller,
    @RequestId() requestId: string,
  ): Promise<GvpAuraIdResponseDto> {
    return this.gvp.getAuraId(device, requestId);
  }

  @Get('aura-token')
  @ApiGvpErrors([...SIGN_IN_ERRORS, GvpStatusCode.ConversationNotConfigured, GvpStatusCode.ConversationNotAvailable])
  @Authenticated({ device: true })
  @Header('cache-control', 'no-store')
  @ApiHeader(TOKEN_HEADER_DOC)
  @ApiOperation({
    summary:
      "GVP's GetAuraToken: the same sign-in as GetAuraId, then a Direct Line conversation for that user " +
      '(`dl_a_<auraId>`). Answers in GVP’s envelope (docs/gvp.md).',
  })
  @ApiOkResponse({ type: GvpAuraTokenResponseDto, description: 'StatusCode 0: the auraId and the conversation.' })
  getGvpAuraToken(
    @Query() _query: GvpQueryDto,
    @Caller() device: DeviceCaller,
    @RequestId() requestId: string,
  ): Promise<GvpAuraTokenResponseDto> {
    return this.gvp.getAuraToken(device, requestId);
  }
}

import { applyDecorators, Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from 'src/common/access/access.decorator';
import { Tier } from 'src/common/access/tier';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { TokenQueryDto } from 'src/directline/dto/token-query.dto';
import { ConversationTokenResponseDto, TokenResponseDto } from 'src/directline/dto/token-response.dto';
import { DirectLineErrorCode } from 'src/directline/directline.errors';
import { DirectLineService } from 'src/directline/directline.service';

/** The failures both routes may answer. */
function ApiDirectLineProblems(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiProblem(400, 'Invalid query parameter.', ['validation_failed']),
    ApiProblem(502, 'Direct Line refused the service, failed, or answered something invalid.', [
      DirectLineErrorCode.SecretRejected,
      DirectLineErrorCode.Unavailable,
      DirectLineErrorCode.BadResponse,
      DirectLineErrorCode.UnexpectedStatus,
    ]),
    ApiProblem(503, 'Direct Line is not configured, throttles the service, or is failing; see Retry-After.', [
      DirectLineErrorCode.NotConfigured,
      DirectLineErrorCode.Throttled,
      DirectLineErrorCode.CircuitOpen,
    ]),
    ApiProblem(504, 'Direct Line did not answer within the deadline.', [DirectLineErrorCode.Timeout]),
  );
}

@ApiTags('Direct Line')
@Controller('token')
export class DirectLineController {
  constructor(private readonly tokens: DirectLineService) {}

  @Get()
  @Access(Tier.Public)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'A Direct Line token to talk to the bot, and its expiration time.' })
  @ApiOkResponse({ type: TokenResponseDto, description: 'A Direct Line token.' })
  @ApiDirectLineProblems()
  getToken(@Query() query: TokenQueryDto): Promise<TokenResponseDto> {
    return this.tokens.getToken(query);
  }

  @Get('wss')
  @Access(Tier.Public)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      'Starts a Direct Line conversation: its token, WebSocket stream URL, expiration time and the other fields ' +
      'Direct Line returns.',
  })
  @ApiOkResponse({ type: ConversationTokenResponseDto, description: 'A started Direct Line conversation.' })
  @ApiDirectLineProblems()
  getWebSocketToken(@Query() query: TokenQueryDto): Promise<ConversationTokenResponseDto> {
    return this.tokens.getWebSocketToken(query);
  }
}

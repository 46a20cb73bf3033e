import { applyDecorators, Controller, Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from 'src/auth/authenticated.decorator';
import { Caller } from 'src/auth/caller';
import { Tier } from 'src/auth/tier';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { TokenQueryDto } from 'src/directline/dto/token-query.dto';
import { ConversationTokenResponseDto, TokenResponseDto } from 'src/directline/dto/token-response.dto';
import { DirectLineErrorCode } from 'src/directline/directline.errors';
import { SessionsErrorCode } from 'src/sessions/sessions.errors';
import { TokenService } from 'src/token/token.service';

/** The failures both routes may answer. */
function ApiDirectLineProblems(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiProblem(400, 'Invalid query parameter.', ['validation_failed']),
    ApiProblem(403, 'With a session: `userId` differs from the auraId of the session.', [
      SessionsErrorCode.SessionUserMismatch,
    ]),
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
export class TokenController {
  constructor(private readonly tokens: TokenService) {}

  @Get()
  @Authenticated({ tiers: [Tier.Public], session: true })
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'A Direct Line token to talk to the bot, and its expiration time.' })
  @ApiOkResponse({ type: TokenResponseDto, description: 'A Direct Line token.' })
  @ApiDirectLineProblems()
  getToken(@Query() query: TokenQueryDto, @Caller() caller: Caller | undefined): Promise<TokenResponseDto> {
    return this.tokens.getToken(query, caller);
  }

  @Get('wss')
  @Authenticated({ tiers: [Tier.Public], session: true })
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      'Starts a Direct Line conversation: its token, WebSocket stream URL, expiration time and the other fields ' +
      'Direct Line returns.',
  })
  @ApiOkResponse({ type: ConversationTokenResponseDto, description: 'A started Direct Line conversation.' })
  @ApiDirectLineProblems()
  getWebSocketToken(
    @Query() query: TokenQueryDto,
    @Caller() caller: Caller | undefined,
  ): Promise<ConversationTokenResponseDto> {
    return this.tokens.getWebSocketToken(query, caller);
  }
}

import { applyDecorators, Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiFoundResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiCreatedResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NoCredential } from 'src/auth/authenticated.decorator';
import { RequestId } from 'src/common/http/request-id.decorator';
import { CallbacksErrorCode } from 'src/callbacks/callbacks.errors';
import { type CallbackOutcome, CallbacksService } from 'src/callbacks/callbacks.service';
import { CallbackLoginResponseDto, CallbackQueryDto } from 'src/callbacks/dto/callback.dto';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { Browser } from 'src/sessions/browser-credentials.decorator';
import { SessionCookieWriter } from 'src/sessions/session-cookies';
import type { BrowserCredentials } from 'src/sessions/sessions.service';

const REFUSALS = [
  CallbacksErrorCode.UnknownKey,
  CallbacksErrorCode.Invalid,
  CallbacksErrorCode.WrongPurpose,
  CallbacksErrorCode.Expired,
  CallbacksErrorCode.Replayed,
];
const BAD_INPUT = [
  'validation_failed',
  CallbacksErrorCode.Malformed,
  CallbacksErrorCode.PayloadInvalid,
  CallbacksErrorCode.RedirectRefused,
];

/** Keyless, but still rate-limited (per client address) and backed by the database. */
function ApiCallbackPlatformProblems(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiProblem(429, 'Rate limit of the client address exceeded; see Retry-After.', ['rate_limited']),
    ApiProblem(503, 'The database is unavailable; retry after Retry-After.', ['database_unavailable']),
  );
}

/** Writes the outcome: a redirect (with the browser session's cookies) for browser flows, else the status and body. */
function respond(
  reply: FastifyReply,
  outcome: CallbackOutcome,
  cookies: SessionCookieWriter,
): CallbackLoginResponseDto | undefined {
  void reply.status(outcome.status).header('cache-control', 'no-store');
  if (outcome.status === 302) {
    void reply.header('location', outcome.location);
    if (outcome.session === 'clear') {
      cookies.clear(reply);
    } else if (outcome.session !== 'none') {
      cookies.set(reply, outcome.session);
    }
    if (outcome.loginStateUsed === true) {
      cookies.clearLoginState(reply);
    }
  }
  return 'body' in outcome ? outcome.body : undefined;
}

@ApiTags('Kernel callbacks')
@Controller('users/auraid/integrated')
export class CallbacksController {
  constructor(
    private readonly callbacks: CallbacksService,
    private readonly cookies: SessionCookieWriter,
  ) {}

  @Get()
  @NoCredential('sealed Kernel callback data')
  @ApiOperation({
    summary: 'Kernel callback after creating an authentication session: adds the Aura user record.',
    description: 'No API key: the sealed `data` parameter is the credential (single use, short-lived, purpose-bound).',
  })
  @ApiCreatedResponse({ type: CallbackLoginResponseDto, description: 'The record was created.' })
  @ApiOkResponse({ type: CallbackLoginResponseDto, description: 'The record of that session already existed.' })
  @ApiFoundResponse({
    description:
      'The payload named an allowed `redirectUri`: the browser goes there, with the cookies of a new browser ' +
      'session (`authara_access`, `authara_refresh`, `authara_csrf`; docs/sessions.md) when the login is bound to ' +
      'this browser (its sealed `state` equals the `authara_login_state` cookie, or SESSION_LOGIN_BINDING is ' +
      '`optional` and it has none); otherwise without a session. The login-state cookie is cleared.',
  })
  @ApiProblem(400, 'The data parameter or its payload is invalid, or the redirect target is not allowed.', BAD_INPUT)
  @ApiProblem(401, 'The sealed value is not authentic, not for this callback, expired or already used.', REFUSALS)
  @ApiProblem(409, 'The auraId Kernel chose already belongs to another user record.', ['aura_id_taken'])
  @ApiCallbackPlatformProblems()
  async loginCallback(
    @Query() query: CallbackQueryDto,
    @RequestId() requestId: string,
    @Headers('user-agent') userAgent: string | undefined,
    @Browser() browser: BrowserCredentials,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CallbackLoginResponseDto | undefined> {
    return respond(reply, await this.callbacks.login(query.data, requestId, userAgent, browser), this.cookies);
  }

  @Get('logout')
  @NoCredential('sealed Kernel callback data')
  @ApiOperation({
    summary: 'Kernel callback after removing an authentication session: removes the Aura user record.',
    description: 'No API key: the sealed `data` parameter is the credential (single use, short-lived, purpose-bound).',
  })
  @ApiNoContentResponse({ description: 'The record of that session is gone (or there was none).' })
  @ApiFoundResponse({
    description:
      'The payload named an allowed `redirectUri`: the browser goes there, its session cookies cleared. Every ' +
      'browser session of the removed record ends with it.',
  })
  @ApiProblem(400, 'The data parameter or its payload is invalid, or the redirect target is not allowed.', BAD_INPUT)
  @ApiProblem(401, 'The sealed value is not authentic, not for this callback, expired or already used.', REFUSALS)
  @ApiCallbackPlatformProblems()
  async logoutCallback(
    @Query() query: CallbackQueryDto,
    @RequestId() requestId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    respond(reply, await this.callbacks.logout(query.data, requestId), this.cookies);
  }
}

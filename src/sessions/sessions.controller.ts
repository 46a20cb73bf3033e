import { Controller, Get, HttpCode, Post, Query, Res, UseFilters } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated, NoCredential } from 'src/auth/authenticated.decorator';
import type { SessionCaller } from 'src/auth/caller';
import { Caller } from 'src/auth/caller';
import { ApiAutharaError, AutharaErrorFilter } from 'src/sessions/authara-error';
import { Browser } from 'src/sessions/browser-credentials.decorator';
import { CsrfTokenResponseDto, CurrentUserResponseDto, LoginStateResponseDto } from 'src/sessions/dto/session.dto';
import { CSRF_HEADER_SCHEME, REFRESH_COOKIE_SCHEME } from 'src/sessions/session-schemes';
import { SessionCookieWriter } from 'src/sessions/session-cookies';
import { type BrowserCredentials, SessionsService } from 'src/sessions/sessions.service';

/** The session API's own exchange: the refresh cookie and the CSRF double submit, checked by its service. */
const SESSION_API = 'session API: refresh cookie + CSRF';

/**
 * Authara's browser session API (docs/sessions.md): no API key — the session cookies are the credential.
 * Errors use Authara's envelope, not problem+json.
 */
@ApiTags('Browser sessions')
@Controller('auth/api/v1')
@UseFilters(AutharaErrorFilter)
@ApiAutharaError(429, 'Rate limit of the client address exceeded; see Retry-After.')
@ApiAutharaError(500, 'Unexpected error; the message carries only an error id to quote to the operators.')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly cookies: SessionCookieWriter,
  ) {}

  @Get('user')
  @Authenticated({ session: true })
  @ApiOperation({ summary: 'The user of the browser session (Authara current user).' })
  @ApiOkResponse({ type: CurrentUserResponseDto, description: 'The session is valid.' })
  @ApiAutharaError(401, 'No valid `authara_access` cookie, or its session has ended.')
  getCurrentUser(@Caller() session: SessionCaller): Promise<CurrentUserResponseDto> {
    return this.sessions.currentUser(session);
  }

  @Post('sessions/refresh')
  @NoCredential(SESSION_API)
  @HttpCode(200)
  @ApiSecurity({ [REFRESH_COOKIE_SCHEME]: [], [CSRF_HEADER_SCHEME]: [] })
  @ApiOperation({
    summary: 'Refreshes the session: a new access token and a rotated refresh token, as cookies.',
    description:
      'Needs the `authara_refresh` cookie and an `X-CSRF-Token` header equal to the `authara_csrf` cookie. ' +
      'The refresh token rotates on every use; presenting a rotated one again revokes the session, except ' +
      'within SESSION_REFRESH_GRACE_SECONDS of its rotation (two tabs refreshing at once), when only a new ' +
      'access token is set.',
  })
  @ApiQuery({
    name: 'audience',
    required: false,
    description:
      'The audience the session was opened for (one of SESSION_AUDIENCES); absent: that audience (the first of SESSION_AUDIENCES unless the login named another; Authara defaults to `app`).',
    example: 'app',
  })
  @ApiOkResponse({ description: 'Refreshed: empty body, new `authara_access` and (rotated) `authara_refresh`.' })
  @ApiAutharaError(400, '`audience` is not one of SESSION_AUDIENCES, or not the one the session was opened for.')
  @ApiAutharaError(401, 'No valid refresh token, the session has ended, or a rotated token was reused.')
  @ApiAutharaError(403, 'The `X-CSRF-Token` header is missing or does not match the `authara_csrf` cookie.')
  async refreshSession(
    @Query('audience') audience: unknown,
    @Browser() browser: BrowserCredentials,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    this.cookies.set(reply, await this.sessions.refresh(browser, audience));
  }

  @Post('sessions/logout')
  @NoCredential(SESSION_API)
  @HttpCode(204)
  @ApiSecurity(CSRF_HEADER_SCHEME)
  @ApiOperation({
    summary: 'Logs out: revokes the session and clears the access and refresh cookies.',
    description:
      'Needs an `X-CSRF-Token` header equal to the `authara_csrf` cookie. Logging out twice is not an error.',
  })
  @ApiNoContentResponse({
    description:
      'The session is revoked (if there was one); `authara_access` and `authara_refresh` are cleared, `authara_csrf` stays.',
  })
  @ApiAutharaError(403, 'The `X-CSRF-Token` header is missing or does not match the `authara_csrf` cookie.')
  async logout(@Browser() browser: BrowserCredentials, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.sessions.logout(browser);
    this.cookies.clear(reply);
  }

  @Post('login/state')
  @NoCredential('login binding: sets a random login-state cookie, reads no credential')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Starts a login: a random state, also set as the `authara_login_state` cookie (Path /users/auraid).',
    description:
      'Binds the coming Kernel login to this browser, like OAuth `state`: Kernel seals the value into the login ' +
      'callback as `state`, and the callback opens a session only where the cookie matches it (docs/sessions.md).',
  })
  @ApiOkResponse({ type: LoginStateResponseDto })
  startLogin(@Res({ passthrough: true }) reply: FastifyReply): LoginStateResponseDto {
    const { state, maxAgeSeconds } = this.sessions.newLoginState();
    this.cookies.setLoginState(reply, state, maxAgeSeconds);
    return { state };
  }

  @Get('csrf')
  @NoCredential(SESSION_API)
  @ApiOperation({ summary: 'The CSRF token of the browser, (re)set as the `authara_csrf` cookie.' })
  @ApiOkResponse({ type: CsrfTokenResponseDto })
  getCsrfToken(
    @Browser() browser: BrowserCredentials,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): CsrfTokenResponseDto {
    const { token, cookies } = this.sessions.csrf(browser);
    this.cookies.set(reply, cookies);
    return { csrf_token: token };
  }
}

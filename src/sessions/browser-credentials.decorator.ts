import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { BrowserCredentials } from 'src/sessions/sessions.service';
import { presentedSessionToken, readCookie } from 'src/auth/credentials';
import { CSRF_COOKIE, CSRF_HEADER, LOGIN_STATE_COOKIE, REFRESH_COOKIE } from 'src/sessions/session-cookies';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The session cookies, the CSRF header and the User-Agent of a browser request. */
export function browserCredentials(request: FastifyRequest): BrowserCredentials {
  return {
    accessToken: presentedSessionToken(request),
    refreshToken: readCookie(request, REFRESH_COOKIE),
    csrfCookie: readCookie(request, CSRF_COOKIE),
    csrfHeader: header(request, CSRF_HEADER),
    loginState: readCookie(request, LOGIN_STATE_COOKIE),
    userAgent: header(request, 'user-agent'),
  };
}

export const Browser = createParamDecorator((_data: unknown, context: ExecutionContext): BrowserCredentials =>
  browserCredentials(context.switchToHttp().getRequest<FastifyRequest>()),
);

import type { DocumentBuilder } from '@nestjs/swagger';
import { ACCESS_COOKIE_SCHEME } from 'src/auth/authenticated.decorator';

/** OpenAPI security schemes of browser sessions. */
export const REFRESH_COOKIE_SCHEME = 'SessionRefreshCookie';
export const CSRF_HEADER_SCHEME = 'SessionCsrfHeader';

export function addSessionSecuritySchemes(builder: DocumentBuilder): DocumentBuilder {
  return builder
    .addCookieAuth(
      'authara_access',
      { type: 'apiKey', in: 'cookie', description: 'Access JWT of a browser session (HttpOnly cookie).' },
      ACCESS_COOKIE_SCHEME,
    )
    .addCookieAuth(
      'authara_refresh',
      {
        type: 'apiKey',
        in: 'cookie',
        description: 'Opaque refresh token of a browser session (HttpOnly, Path=/auth).',
      },
      REFRESH_COOKIE_SCHEME,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-CSRF-Token',
        description: 'Must equal the `authara_csrf` cookie (double submit).',
      },
      CSRF_HEADER_SCHEME,
    );
}

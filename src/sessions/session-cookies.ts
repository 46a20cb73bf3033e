import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import { ACCESS_COOKIE } from 'src/auth/credentials';

/** Authara's cookie names (docs/sessions.md "Cookies"); `authara_access` is the boundary's (src/auth/credentials.ts). */
export const REFRESH_COOKIE = 'authara_refresh';
export const CSRF_COOKIE = 'authara_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** Binds a login callback to the browser that started it (docs/sessions.md "Login binding"). */
export const LOGIN_STATE_COOKIE = 'authara_login_state';
/** The login state travels only to the Kernel callbacks. */
const LOGIN_STATE_PATH = '/users/auraid';

/** The refresh cookie travels only to the session API, never to the rest of the site. */
const REFRESH_PATH = '/auth';

/** What a reply must set for a session: each cookie and how long it lives, in seconds. */
export interface SessionCookies {
  access?: { value: string; maxAgeSeconds: number };
  refresh?: { value: string; maxAgeSeconds: number };
  csrf?: { value: string; maxAgeSeconds: number };
}

/** Sets and clears the session cookies with Authara's attributes; `secure` follows SESSION_COOKIE_SECURE. */
export class SessionCookieWriter {
  /** `domain`: SESSION_COOKIE_DOMAIN, the same on set and clear (a browser clears only the cookie it matches). */
  constructor(
    private readonly secure: boolean,
    private readonly domain?: string,
  ) {}

  set(reply: FastifyReply, cookies: SessionCookies): void {
    if (cookies.access !== undefined) {
      void reply.setCookie(ACCESS_COOKIE, cookies.access.value, this.options('/', true, cookies.access.maxAgeSeconds));
    }
    if (cookies.refresh !== undefined) {
      void reply.setCookie(
        REFRESH_COOKIE,
        cookies.refresh.value,
        this.options(REFRESH_PATH, true, cookies.refresh.maxAgeSeconds),
      );
    }
    if (cookies.csrf !== undefined) {
      void reply.setCookie(CSRF_COOKIE, cookies.csrf.value, this.options('/', false, cookies.csrf.maxAgeSeconds));
    }
    void reply.header('cache-control', 'no-store');
  }

  /**
   * Ends the session in the browser: the access and refresh cookies only, as Authara does. The CSRF cookie
   * stays, so the page's next CSRF-protected call does not fail before it fetches /csrf again.
   */
  clear(reply: FastifyReply): void {
    void reply.clearCookie(ACCESS_COOKIE, this.options('/', true));
    void reply.clearCookie(REFRESH_COOKIE, this.options(REFRESH_PATH, true));
    void reply.header('cache-control', 'no-store');
  }

  /** The login-state cookie: HttpOnly, SameSite=Lax (sent on Kernel's top-level redirect back), host-only. */
  setLoginState(reply: FastifyReply, value: string, maxAgeSeconds: number): void {
    void reply.setCookie(LOGIN_STATE_COOKIE, value, {
      path: LOGIN_STATE_PATH,
      httpOnly: true,
      secure: this.secure,
      sameSite: 'lax',
      maxAge: maxAgeSeconds,
    });
    void reply.header('cache-control', 'no-store');
  }

  clearLoginState(reply: FastifyReply): void {
    void reply.clearCookie(LOGIN_STATE_COOKIE, {
      path: LOGIN_STATE_PATH,
      httpOnly: true,
      secure: this.secure,
      sameSite: 'lax',
    });
  }

  private options(path: string, httpOnly: boolean, maxAge?: number): CookieSerializeOptions {
    return {
      path,
      httpOnly,
      secure: this.secure,
      sameSite: 'lax',
      ...(this.domain === undefined ? {} : { domain: this.domain }),
      ...(maxAge === undefined ? {} : { maxAge }),
    };
  }
}

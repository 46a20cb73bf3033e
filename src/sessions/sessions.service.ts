import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { SessionCaller } from 'src/auth/caller';
import { ServerSettings } from 'src/config/server.settings';
import type { Tx } from 'src/database/database';
import { AccessTokens } from 'src/sessions/access-tokens';
import type { CurrentUserResponseDto } from 'src/sessions/dto/session.dto';
import {
  newCsrfToken,
  newRefreshToken,
  newSessionId,
  parseRefreshToken,
  type RefreshToken,
} from 'src/sessions/refresh-token';
import type { SessionCookies } from 'src/sessions/session-cookies';
import { SessionRevocations } from 'src/sessions/session-revocations';
import { SessionsError, SessionsErrorCode } from 'src/sessions/sessions.errors';
import { SessionsMetrics } from 'src/sessions/sessions.metrics';
import { type SessionRow, SessionsRepository } from 'src/sessions/sessions.repository';
import { SessionsSettings } from 'src/sessions/sessions.settings';
import type { UserResponseDto } from 'src/users/dto/user.response.dto';
import { UsersService } from 'src/users/users.service';

/** What a browser request brings to the session API: its cookies and headers. */
export interface BrowserCredentials {
  accessToken?: string;
  refreshToken?: string;
  csrfCookie?: string;
  csrfHeader?: string;
  userAgent?: string;
  /** The `authara_login_state` cookie (sent only to the Kernel callbacks). */
  loginState?: string;
}

/** The user fields a session needs at opening: who, and what roles they hold. */
export type SessionUser = Pick<UserResponseDto, 'auraId' | 'userType' | 'subscriptionType'>;

const USER_AGENT_MAX = 512;
const CSRF_MAX = 128;
/** A login at Kernel must come back within this long of POST /login/state. */
export const LOGIN_STATE_TTL_SECONDS = 600;

/** Roles of an Aura user in Authara's `roles` (docs/sessions.md "User mapping"). */
export function rolesOf(user: SessionUser): string[] {
  return [`aura:${user.userType}`, ...(user.subscriptionType === null ? [] : [`aura:${user.subscriptionType}`])];
}

/**
 * Browser sessions (docs/sessions.md): opened by the login callback, an access JWT and a rotating refresh
 * token in cookies, CSRF by double submit. A session never outlives its user record: the rows go with it.
 */
@Injectable()
export class SessionsService {
  private readonly audiences: string[];
  private readonly loginBindingRequired: boolean;

  constructor(
    private readonly repository: SessionsRepository,
    private readonly accessTokens: AccessTokens,
    private readonly users: UsersService,
    private readonly metrics: SessionsMetrics,
    private readonly revocations: SessionRevocations,
    private readonly config: SessionsSettings,
    server: ServerSettings,
  ) {
    this.audiences = config.sessionAudiences;
    this.loginBindingRequired = config.sessionLoginBindingRequired(server);
  }

  get defaultAudience(): string {
    return this.audiences[0];
  }

  isAudience(audience: string): boolean {
    return this.audiences.includes(audience);
  }

  /** POST /login/state: a new login state, for the page to pass to Kernel and to keep as a cookie. */
  newLoginState(): { state: string; maxAgeSeconds: number } {
    return { state: newCsrfToken(), maxAgeSeconds: LOGIN_STATE_TTL_SECONDS };
  }

  /**
   * Whether a login callback may open a session in this browser, like OAuth `state`: the `state` Kernel
   * sealed must equal the browser's login-state cookie. A login without one opens a session only when
   * SESSION_LOGIN_BINDING is `optional`; a `state` that does not match never does.
   */
  isLoginBound(sealedState: string | undefined, browser: BrowserCredentials): boolean {
    const cookie = browser.loginState;
    const bound =
      sealedState === undefined
        ? !this.loginBindingRequired
        : cookie !== undefined &&
          cookie.length === sealedState.length &&
          timingSafeEqual(Buffer.from(cookie), Buffer.from(sealedState));
    if (!bound) {
      this.metrics.loginUnbound();
    }
    return bound;
  }

  /** The session this browser holds now (its valid access cookie), which a new login would replace. */
  async currentSessionOf(browser: BrowserCredentials): Promise<string | undefined> {
    return (await this.accessTokens.verify(browser.accessToken))?.sessionId;
  }

  /**
   * A new session of the user (login callback), inside the caller's transaction: the cookies to set. The
   * session the browser held (`replacing`) is revoked: its cookies are overwritten, and a login never
   * silently swaps the browser's session for another user's.
   */
  async open(user: SessionUser, audience: string, userAgent: string | undefined, tx?: Tx, replacing?: string) {
    if (replacing !== undefined && (await this.repository.revoke(replacing, tx))) {
      this.revocations.revoke(replacing);
    }
    const refresh = newRefreshToken(newSessionId());
    const row = await this.repository.insert(
      {
        id: refresh.sessionId,
        auraId: user.auraId,
        audience,
        refreshHash: refresh.hash,
        lifetimeSeconds: this.config.SESSION_ABSOLUTE_LIFETIME_SECONDS,
        userAgent: userAgent?.slice(0, USER_AGENT_MAX) ?? null,
      },
      tx,
    );
    const access = await this.accessTokens.sign({
      auraId: user.auraId,
      sessionId: row.id,
      audience,
      roles: rolesOf(user),
    });
    this.metrics.opened();
    return this.cookies(row, access, refresh, newCsrfToken());
  }

  /** GET /user: the user of a session the boundary admitted, read again from the database (never from memory). */
  async currentUser(session: SessionCaller): Promise<CurrentUserResponseDto> {
    if (!(await this.repository.isLive(session.sessionId, session.auraId, this.config.SESSION_IDLE_TIMEOUT_SECONDS))) {
      throw SessionsError.unauthorized();
    }
    const found = await this.users.findForSession(session.auraId);
    if (found === undefined) {
      throw SessionsError.unauthorized();
    }
    const { user, expired } = found;
    const email = user.authenticationContext?.email;
    // Authara's CurrentUser requires every field; the nearest honest values are in docs/sessions.md.
    return {
      id: user.auraId,
      email: typeof email === 'string' ? email : '',
      username: user.auraId,
      roles: [],
      aura_roles: rolesOf(user),
      disabled: expired,
      created_at: user.createdAt,
      organization: { id: user.channel, name: user.channel, role: 'member' },
    };
  }

  /**
   * POST /sessions/refresh: CSRF, audience, then the refresh token — rotated if current; within the grace
   * after its rotation only a new access token (the other tab's response carries the new refresh token);
   * a token the session issued and rotated away is reuse, and revokes it; any other value is refused alone.
   * A session refreshes only into the audience it was opened for.
   */
  async refresh(credentials: BrowserCredentials, audience: unknown): Promise<SessionCookies> {
    this.assertCsrf(credentials);
    // Optional, as in Authara: absent or empty means the session's own audience (for a session opened without
    // one, the first of SESSION_AUDIENCES, Authara's `app`).
    const requested = audience === undefined || audience === '' ? undefined : audience;
    if (requested !== undefined && (typeof requested !== 'string' || !this.isAudience(requested))) {
      throw new SessionsError(
        SessionsErrorCode.InvalidRequest,
        `audience, when given, must be one of: ${this.audiences.join(', ')}.`,
      );
    }
    const presented = parseRefreshToken(credentials.refreshToken);
    if (presented === undefined) {
      this.metrics.refreshed('refused');
      throw SessionsError.unauthorized('No valid refresh token.');
    }
    if (requested !== undefined) {
      // Checked before any rotation: asking for another audience changes nothing in the session.
      const opened = await this.repository.audienceOf(presented.sessionId);
      if (opened !== undefined && opened !== requested) {
        throw new SessionsError(
          SessionsErrorCode.InvalidRequest,
          `This session was opened for audience ${opened}; it refreshes only into that audience.`,
        );
      }
    }
    const idle = this.config.SESSION_IDLE_TIMEOUT_SECONDS;
    const next = newRefreshToken(presented.sessionId);
    const rotated = await this.repository.rotate(presented.sessionId, presented.hash, next.hash, idle);
    const row =
      rotated ??
      (await this.repository.useWithinGrace(
        presented.sessionId,
        presented.hash,
        this.config.SESSION_REFRESH_GRACE_SECONDS,
        idle,
      ));
    if (row === undefined) {
      const reused = await this.repository.revokeOnReuse(presented.sessionId, presented.hash);
      if (reused) {
        this.revocations.revoke(presented.sessionId);
      }
      this.metrics.refreshed(reused ? 'reuse_revoked' : 'refused');
      throw SessionsError.unauthorized(reused ? 'Refresh token reuse: the session is revoked.' : 'No valid session.');
    }
    const found = await this.users.findForSession(row.aura_id);
    if (found === undefined || found.expired) {
      await this.revoke(row.id);
      this.metrics.refreshed('refused');
      throw SessionsError.unauthorized('The user record of the session has expired.');
    }
    const access = await this.accessTokens.sign({
      auraId: row.aura_id,
      sessionId: row.id,
      audience: row.audience,
      roles: rolesOf(found.user),
    });
    this.metrics.refreshed(rotated === undefined ? 'grace' : 'rotated');
    return this.cookies(row, access, rotated === undefined ? undefined : next, credentials.csrfCookie);
  }

  /** POST /sessions/logout: CSRF, then the session of the refresh token (or of the access token) is revoked. */
  async logout(credentials: BrowserCredentials): Promise<void> {
    this.assertCsrf(credentials);
    const presented = parseRefreshToken(credentials.refreshToken);
    const revoked =
      presented !== undefined && (await this.repository.revokeByRefreshHash(presented.sessionId, presented.hash));
    if (revoked) {
      this.revocations.revoke(presented.sessionId);
    } else {
      const principal = await this.accessTokens.verify(credentials.accessToken);
      if (principal !== undefined) {
        await this.revoke(principal.sessionId);
      }
    }
    this.metrics.loggedOut();
  }

  /** GET /csrf: the browser's CSRF token, or a new one. */
  csrf(credentials: BrowserCredentials): { token: string; cookies: SessionCookies } {
    const existing = credentials.csrfCookie;
    const token = existing !== undefined && /^[A-Za-z0-9_-]{32,128}$/.test(existing) ? existing : newCsrfToken();
    return { token, cookies: { csrf: { value: token, maxAgeSeconds: this.config.SESSION_ABSOLUTE_LIFETIME_SECONDS } } };
  }

  /**
   * Ends one session. The database announces it to every replica (docs/revocation.md); this one refuses its
   * access tokens at once.
   */
  private async revoke(sessionId: string): Promise<void> {
    await this.repository.revoke(sessionId);
    this.revocations.revoke(sessionId);
  }

  /** Double submit: the header must equal the cookie, compared in constant time. */
  private assertCsrf({ csrfCookie, csrfHeader }: BrowserCredentials): void {
    const valid =
      csrfCookie !== undefined &&
      csrfHeader !== undefined &&
      csrfHeader.length <= CSRF_MAX &&
      csrfCookie.length === csrfHeader.length &&
      timingSafeEqual(Buffer.from(csrfCookie), Buffer.from(csrfHeader));
    if (!valid) {
      this.metrics.csrfRefused();
      throw new SessionsError(SessionsErrorCode.Forbidden, 'The X-CSRF-Token header does not match the CSRF cookie.');
    }
  }

  private cookies(
    row: SessionRow,
    access: string,
    refresh: RefreshToken | undefined,
    csrf: string | undefined,
  ): SessionCookies {
    const remaining = Math.max(1, Math.floor((new Date(row.expires_at).getTime() - Date.now()) / 1000));
    return {
      access: { value: access, maxAgeSeconds: Math.min(this.accessTokens.ttlSeconds, remaining) },
      ...(refresh === undefined ? {} : { refresh: { value: refresh.value, maxAgeSeconds: remaining } }),
      ...(csrf === undefined ? {} : { csrf: { value: csrf, maxAgeSeconds: remaining } }),
    };
  }
}

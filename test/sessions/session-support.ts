import type { Response as InjectResponse } from 'light-my-request';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import type { TestApp } from '../support/test-app';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';

export const LOGIN = '/users/auraid/integrated';
export const LOGOUT = '/users/auraid/integrated/logout';
export const USER = '/auth/api/v1/user';
export const REFRESH = '/auth/api/v1/sessions/refresh';
export const SESSION_LOGOUT = '/auth/api/v1/sessions/logout';
export const CSRF = '/auth/api/v1/csrf';

/** The three session cookies a browser holds. */
export interface Jar {
  authara_access?: string;
  authara_refresh?: string;
  authara_csrf?: string;
}

let counter = 0;

export function kernelSession(extra: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    channel: 'web',
    userId: `web-user-${counter}-${process.pid}`,
    authorizationId: `authz-${counter}-${Date.now()}`,
    ...extra,
  };
}

export function cipherOf(t: TestApp): CallbackCipher {
  return new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
}

export function sealed(t: TestApp, purpose: CallbackPurpose, payload: Record<string, unknown>): string {
  return sealPayload(cipherOf(t), purpose, payload);
}

/** Applies a response's Set-Cookie headers to the jar, as a browser would (Max-Age=0 removes). */
export function absorb(jar: Jar, response: InjectResponse): Jar {
  const next: Record<string, string | undefined> = { ...jar };
  for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number }>) {
    next[cookie.name] = cookie.maxAge === 0 || cookie.value === '' ? undefined : cookie.value;
  }
  return next;
}

export function cookiesOf(jar: Jar): Record<string, string> {
  return Object.fromEntries(Object.entries(jar).filter(([, value]) => value !== undefined));
}

/** Logs a user in through the Kernel login callback with a redirect, as the browser would follow it. */
export async function browserLogin(
  t: TestApp,
  extra: Record<string, unknown> = {},
  redirectUri = 'https://web.aura.example/chat',
): Promise<{ jar: Jar; auraId: string; response: InjectResponse }> {
  const session = kernelSession(extra);
  const response = await t.request({
    method: 'GET',
    url: `${LOGIN}?data=${encodeURIComponent(sealed(t, CallbackPurpose.Login, { ...session, redirectUri }))}`,
    headers: { 'user-agent': 'SessionTest/1.0' },
  });
  if (response.statusCode !== 302) {
    throw new Error(`login callback answered ${response.statusCode}: ${response.body}`);
  }
  const jar = absorb({}, response);
  for (const value of Object.values(jar)) {
    t.secrets.add(value as string, 'session cookie');
  }
  const rows = await t.query<{ aura_id: string }>(
    `SELECT aura_id FROM aura_users WHERE channel = $1 AND user_id = $2`,
    [session.channel, session.userId],
  );
  return { jar, auraId: rows[0].aura_id, response };
}

/** Refreshes as the Authara client does; `null` leaves the audience or the CSRF header out. */
export function refresh(
  t: TestApp,
  jar: Jar,
  audience: string | null = 'app',
  csrf: string | null = jar.authara_csrf ?? null,
) {
  return t.request({
    method: 'POST',
    url: audience === null ? REFRESH : `${REFRESH}?audience=${encodeURIComponent(audience)}`,
    cookies: cookiesOf(jar),
    headers: csrf === null ? {} : { 'x-csrf-token': csrf },
  });
}

export function currentUser(t: TestApp, jar: Jar) {
  return t.request({ method: 'GET', url: USER, cookies: cookiesOf(jar) });
}

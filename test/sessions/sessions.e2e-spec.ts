import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Tier } from 'src/auth/tier';
import { CallbackPurpose } from 'src/callbacks/callback-cipher';
import { Invalidations } from 'src/invalidation/invalidations';
import { KeysService } from 'src/openid/keys.service';
import { SessionsSweeper } from 'src/sessions/sessions.sweeper';
import { UsersSweeper } from 'src/users/users.sweeper';
import { DirectLineStub } from '../support/directline-stub';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import {
  absorb,
  browserLogin,
  cookiesOf,
  CSRF,
  currentUser,
  type Jar,
  kernelSession,
  LOGIN,
  LOGOUT,
  refresh,
  sealed,
  SESSION_LOGOUT,
  USER,
} from './session-support';

const ORIGIN = 'https://web.aura.example';
const GRACE_SECONDS = 5;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('browser sessions (Authara-compatible)', () => {
  let t: TestApp;
  let stub: DirectLineStub;

  const sessionRows = (auraId: string) =>
    t.query<{ id: string; revoked: boolean; refresh_hash: string; previous_refresh_hash: string | null }>(
      `SELECT id, revoked, refresh_hash, previous_refresh_hash FROM sessions WHERE aura_id = $1`,
      [auraId],
    );
  /** GET /config with the access cookie alone: admitted by SessionCredential, or refused as an invalid cookie. */
  const onConfig = (jar: Jar) =>
    t.request({ method: 'GET', url: '/config', cookies: { authara_access: jar.authara_access as string } });
  /**
   * Polls /config until the access cookie is refused (the end of its session announced), and logs how long that
   * took. The contract is 1 s; 3 s more are for a stall of a busy shared machine, which no poll of a quiet one
   * comes near, and still far below the 600 s an admitted access cookie is otherwise trusted from memory.
   */
  const expectRefusedWithinContract = async (jar: Jar) => {
    const started = Date.now();
    do {
      const response = await onConfig(jar);
      if (response.statusCode === 401) {
        expect(response.json().code).toBe('session_invalid');
        const tookMs = Date.now() - started;
        console.log(`session end announced → access cookie refused after ${tookMs} ms`);
        expect(tookMs).toBeLessThan(1_000 + 3_000);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    } while (Date.now() - started < 10_000);
    throw new Error('the access cookie was still admitted 10 s after its session ended');
  };
  const logout = (jar: Jar, csrf: string | null = jar.authara_csrf ?? null) =>
    t.request({
      method: 'POST',
      url: SESSION_LOGOUT,
      cookies: cookiesOf(jar),
      headers: csrf === null ? {} : { 'x-csrf-token': csrf },
    });

  beforeAll(async () => {
    stub = await DirectLineStub.start({ secret: 'directline-test-secret-sessions' });
    t = await createTestApp({
      CALLBACK_REDIRECT_ALLOWLIST: `${ORIGIN},https://other.aura.example`,
      CORS_ALLOWED_ORIGINS: ORIGIN,
      SESSION_AUDIENCES: 'app,admin',
      SESSION_REFRESH_GRACE_SECONDS: String(GRACE_SECONDS),
      SESSION_IDLE_TIMEOUT_SECONDS: '3600',
      SESSION_ABSOLUTE_LIFETIME_SECONDS: '86400',
      DIRECTLINE_SECRET: 'directline-test-secret-sessions',
      DIRECTLINE_BASE_URL: stub.url,
      RATE_LIMIT_LIMIT: '1000000',
      EXPIRED_USER_RETENTION_DAYS: '0',
    });
  });
  afterAll(async () => {
    await t.close();
    await stub.close();
  });

  describe('opening by the login callback', () => {
    it('should set the three cookies with their attributes when the callback redirects the browser', async () => {
      const { jar, auraId, response } = await browserLogin(t, { subscriptionType: 'postpaid' });
      expect(response.headers.location).toBe(`${ORIGIN}/chat`);
      expect(response.headers['cache-control']).toBe('no-store');
      const cookies = Object.fromEntries(
        (response.cookies as Array<Record<string, unknown>>).map((cookie) => [cookie.name, cookie]),
      );
      expect(cookies.authara_access).toMatchObject({ path: '/', httpOnly: true, sameSite: 'Lax', maxAge: 600 });
      expect(cookies.authara_refresh).toMatchObject({ path: '/auth', httpOnly: true, sameSite: 'Lax' });
      expect(cookies.authara_refresh.maxAge).toBeGreaterThan(86_300);
      expect(cookies.authara_csrf).toMatchObject({ path: '/', sameSite: 'Lax' });
      expect(cookies.authara_csrf.httpOnly).toBeUndefined();
      // Not production: plain-http development keeps them usable (SESSION_COOKIE_SECURE).
      expect(cookies.authara_access.secure).toBeUndefined();
      expect(jar.authara_refresh).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
      expect(jar.authara_csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const rows = await t.query<Record<string, unknown>>(
        `SELECT id, audience, refresh_hash, previous_refresh_hash, revoked, user_agent,
                extract(epoch FROM expires_at - created_at)::int AS lifetime_seconds FROM sessions WHERE aura_id = $1`,
        [auraId],
      );
      expect(rows).toEqual([
        {
          id: jar.authara_refresh?.split('.')[0],
          audience: 'app',
          refresh_hash: sha256(jar.authara_refresh as string),
          previous_refresh_hash: null,
          revoked: false,
          user_agent: 'SessionTest/1.0',
          lifetime_seconds: 86_400,
        },
      ]);
      expect(JSON.stringify(rows)).not.toContain(jar.authara_refresh);
    });

    it('should sign the access token with the active key: iss, aud, sub, sid, roles, iat, exp; verifiable with /openid/jwk', async () => {
      const { jar, auraId } = await browserLogin(t, { subscriptionType: 'postpaid' });
      const jwks = (await t.request({ method: 'GET', url: '/openid/jwk' })).json();
      const token = jar.authara_access as string;
      const header = decodeProtectedHeader(token);
      expect(header).toMatchObject({ kid: t.app.get(KeysService).activeKid, typ: 'at+jwt' });
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: 'http://aura-auth.test/openid/issuer',
        audience: 'app',
      });
      expect(payload).toMatchObject({
        sub: auraId,
        aud: 'app',
        sid: jar.authara_refresh?.split('.')[0],
        roles: ['aura:authenticated', 'aura:postpaid'],
      });
      expect((payload.exp as number) - (payload.iat as number)).toBe(600);
    });

    it('should take the audience from the sealed payload, and refuse one outside SESSION_AUDIENCES', async () => {
      const { jar } = await browserLogin(t, { audience: 'admin' });
      const [, payload] = (jar.authara_access as string).split('.');
      expect(JSON.parse(Buffer.from(payload, 'base64url').toString()).aud).toBe('admin');
      const refused = await t.request({
        method: 'GET',
        url: `${LOGIN}?data=${encodeURIComponent(sealed(t, CallbackPurpose.Login, { ...kernelSession(), audience: 'operator', redirectUri: `${ORIGIN}/` }))}`,
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().code).toBe('callback_payload_invalid');
    });

    it('should open no session for a server-to-server login callback (no redirectUri)', async () => {
      const response = await t.request({
        method: 'GET',
        url: `${LOGIN}?data=${encodeURIComponent(sealed(t, CallbackPurpose.Login, kernelSession()))}`,
      });
      expect(response.statusCode).toBe(201);
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(await sessionRows(response.json().auraId)).toEqual([]);
    });
  });

  describe('GET /auth/api/v1/user', () => {
    it('should map the Aura user onto Authara’s current user', async () => {
      const { jar, auraId } = await browserLogin(t, { subscriptionType: 'postpaid' });
      const response = await currentUser(t, jar);
      expect(response.statusCode).toBe(200);
      const [created] = await t.query<{ created_at: Date }>(`SELECT created_at FROM aura_users WHERE aura_id = $1`, [
        auraId,
      ]);
      // Every field Authara's CurrentUser requires, with its type; Aura's own roles beside Authara's (none).
      expect(response.json()).toEqual({
        id: auraId,
        email: '',
        username: auraId,
        roles: [],
        aura_roles: ['aura:authenticated', 'aura:postpaid'],
        disabled: false,
        created_at: created.created_at.toISOString(),
        organization: { id: 'web', name: 'web', role: 'member' },
      });
    });

    it('should answer 401 once the user record has expired: the session ended with it', async () => {
      const { jar, auraId } = await browserLogin(t);
      await t.query(`UPDATE aura_users SET expires_at = now() - interval '1 minute' WHERE aura_id = $1`, [auraId]);
      const response = await currentUser(t, jar);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
    });

    it.each([
      ['no cookie', {}],
      ['a malformed cookie', { authara_access: 'not-a-jwt' }],
      ['a refresh token in the access cookie', { authara_access: '2f1c1b9e-0a55-4a8f-9a8e-6f0d5c8e8b11.x' }],
    ])('should answer 401 unauthorized in Authara’s envelope for %s', async (_name, cookies) => {
      const response = await t.request({ method: 'GET', url: USER, cookies });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    });

    it('should refuse a token of this service that is not a session access token, and an expired one', async () => {
      const { auraId, jar } = await browserLogin(t);
      const keys = t.app.get(KeysService);
      const sid = jar.authara_refresh?.split('.')[0];
      const plainJwt = await keys.sign({ sub: auraId, aud: 'app', sid, roles: [] });
      expect((await currentUser(t, { authara_access: plainJwt })).statusCode).toBe(401);
      const shortLived = await keys.sign(
        { sub: auraId, aud: 'app', sid, roles: [] },
        { expiresInSeconds: 4, type: 'at+jwt' },
      );
      expect((await currentUser(t, { authara_access: shortLived })).statusCode).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 4600));
      expect((await currentUser(t, { authara_access: shortLived })).statusCode).toBe(401);
    });
  });

  describe('POST /auth/api/v1/sessions/refresh', () => {
    it('should rotate the refresh token and set a new access token, with an empty body', async () => {
      const { jar, auraId } = await browserLogin(t);
      const response = await refresh(t, jar);
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
      const next = absorb(jar, response);
      expect(next.authara_refresh).not.toBe(jar.authara_refresh);
      expect(next.authara_access).not.toBe(jar.authara_access);
      t.secrets.add(next.authara_refresh, 'session cookie');
      const [row] = await sessionRows(auraId);
      expect(row).toMatchObject({
        refresh_hash: sha256(next.authara_refresh as string),
        previous_refresh_hash: sha256(jar.authara_refresh as string),
        revoked: false,
      });
      expect((await currentUser(t, next)).statusCode).toBe(200);
      expect((await refresh(t, next)).statusCode).toBe(200);
    });

    it.each([
      ['no X-CSRF-Token header', undefined],
      ['a header that differs from the cookie', 'forged-csrf-token-value-forged-csrf-token-val'],
    ])(
      'should answer 403 forbidden (Authara’s code for a CSRF failure) with %s, and rotate nothing',
      async (_name, csrf) => {
        const { jar, auraId } = await browserLogin(t);
        const response = await refresh(t, jar, 'app', csrf ?? null);
        expect(response.statusCode).toBe(403);
        expect(response.json()).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
        expect((await sessionRows(auraId))[0].previous_refresh_hash).toBeNull();
      },
    );

    it('should answer 400 invalid_request for an audience outside SESSION_AUDIENCES', async () => {
      const { jar } = await browserLogin(t);
      const response = await refresh(t, jar, 'operator');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
    });

    it('should refresh without an audience into the first of SESSION_AUDIENCES, as Authara defaults to app', async () => {
      const { jar } = await browserLogin(t);
      const response = await refresh(t, jar, null);
      expect(response.statusCode).toBe(200);
      const next = absorb(jar, response);
      t.secrets.add(next.authara_refresh, 'session cookie');
      const [, payload] = (next.authara_access as string).split('.');
      expect(JSON.parse(Buffer.from(payload, 'base64url').toString()).aud).toBe('app');
    });

    it('should answer 401 unauthorized without a refresh cookie, or with an unknown one', async () => {
      const { jar } = await browserLogin(t);
      const without = await refresh(t, { authara_csrf: jar.authara_csrf });
      expect(without.statusCode).toBe(401);
      expect(without.json().error.code).toBe('unauthorized');
      const unknown = await refresh(t, {
        ...jar,
        authara_refresh: '0b7a3f2e-1c4d-4e5f-8a9b-0c1d2e3f4a5b.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      });
      expect(unknown.statusCode).toBe(401);
    });

    it('should revoke the whole session when a rotated refresh token is presented after the grace (reuse detection)', async () => {
      const { jar, auraId } = await browserLogin(t);
      const rotated = absorb(jar, await refresh(t, jar));
      t.secrets.add(rotated.authara_refresh, 'session cookie');
      await t.query(`UPDATE sessions SET rotated_at = now() - make_interval(secs => $2) WHERE aura_id = $1`, [
        auraId,
        GRACE_SECONDS + 1,
      ]);
      const reuse = await refresh(t, jar);
      expect(reuse.statusCode).toBe(401);
      expect(reuse.json().error.code).toBe('unauthorized');
      expect((await sessionRows(auraId))[0].revoked).toBe(true);
      // The thief's or the owner's newer token dies with it, and so does the session's access token.
      expect((await refresh(t, rotated)).statusCode).toBe(401);
      expect((await currentUser(t, rotated)).statusCode).toBe(401);
      expect((await onConfig(rotated)).statusCode).toBe(401);
    });

    it('should refuse with 401 a refresh token never issued for a known session id, and leave the session alone', async () => {
      const { jar, auraId } = await browserLogin(t);
      const sid = jar.authara_refresh?.split('.')[0] as string;
      const forge = (fill: string) => ({ ...jar, authara_refresh: `${sid}.${fill.repeat(43)}` });
      const fresh = await refresh(t, forge('A'));
      expect(fresh.statusCode).toBe(401);
      expect(fresh.json()).toEqual({ error: { code: 'unauthorized', message: 'No valid session.' } });
      expect(fresh.cookies).toEqual([]);
      // Also once the session has a history of rotated tokens: only those count as reuse.
      const next = absorb(jar, await refresh(t, jar));
      t.secrets.add(next.authara_refresh, 'session cookie');
      await t.query(`UPDATE sessions SET rotated_at = now() - make_interval(secs => $2) WHERE aura_id = $1`, [
        auraId,
        GRACE_SECONDS + 1,
      ]);
      expect((await refresh(t, { ...forge('B'), authara_csrf: next.authara_csrf })).statusCode).toBe(401);
      const [row] = await sessionRows(auraId);
      expect(row).toMatchObject({ revoked: false, refresh_hash: sha256(next.authara_refresh as string) });
      // The hash of each token rotated away is kept, and nothing else.
      expect(
        await t.query(`SELECT refresh_hash FROM session_rotated_refresh_tokens WHERE session_id = $1`, [sid]),
      ).toEqual([{ refresh_hash: sha256(jar.authara_refresh as string) }]);
      expect((await refresh(t, next)).statusCode).toBe(200);
    });

    it('should refresh a session only into the audience it was opened for (400 otherwise, session untouched)', async () => {
      const { jar, auraId } = await browserLogin(t);
      const other = await refresh(t, jar, 'admin');
      expect(other.statusCode).toBe(400);
      expect(other.json()).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
      expect(other.cookies).toEqual([]);
      expect((await sessionRows(auraId))[0]).toMatchObject({ revoked: false, previous_refresh_hash: null });
      const same = await refresh(t, jar, 'app');
      expect(same.statusCode).toBe(200);
      t.secrets.add(absorb(jar, same).authara_refresh, 'session cookie');

      // An admin session: refreshed as admin, also without an audience; never as app.
      const admin = await browserLogin(t, { audience: 'admin' });
      const byDefault = await refresh(t, admin.jar, null);
      expect(byDefault.statusCode).toBe(200);
      const rotated = absorb(admin.jar, byDefault);
      t.secrets.add(rotated.authara_refresh, 'session cookie');
      const [, payload] = (rotated.authara_access as string).split('.');
      expect(JSON.parse(Buffer.from(payload, 'base64url').toString()).aud).toBe('admin');
      expect((await refresh(t, rotated, 'app')).statusCode).toBe(400);
      expect((await refresh(t, rotated, 'admin')).statusCode).toBe(200);
    });

    it('should keep two tabs refreshing at the same moment logged in (grace for the previous token)', async () => {
      const { jar, auraId } = await browserLogin(t);
      const [first, second] = await Promise.all([refresh(t, jar), refresh(t, jar)]);
      expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
      const refreshCookies = [first, second].map((response) =>
        (response.cookies as Array<{ name: string; value: string }>).find(
          (cookie) => cookie.name === 'authara_refresh',
        ),
      );
      // Exactly one response rotated; the other carries only a new access token.
      expect(refreshCookies.filter((cookie) => cookie !== undefined)).toHaveLength(1);
      const winner = refreshCookies.find((cookie) => cookie !== undefined)?.value as string;
      t.secrets.add(winner, 'session cookie');
      const [row] = await sessionRows(auraId);
      expect(row).toMatchObject({ revoked: false, refresh_hash: sha256(winner) });
      const browser = absorb(absorb(jar, first), second);
      expect(browser.authara_refresh).toBe(winner);
      expect((await refresh(t, browser)).statusCode).toBe(200);
    });

    it('should let exactly one of many concurrent refreshes rotate, and none fail', async () => {
      const { jar, auraId } = await browserLogin(t);
      const responses = await Promise.all(Array.from({ length: 12 }, () => refresh(t, jar)));
      expect(responses.map((response) => response.statusCode)).toEqual(Array(12).fill(200));
      const rotations = responses.filter((response) =>
        (response.cookies as Array<{ name: string }>).some((cookie) => cookie.name === 'authara_refresh'),
      );
      expect(rotations).toHaveLength(1);
      expect((await sessionRows(auraId))[0].revoked).toBe(false);
    });

    it('should end a session after its idle timeout and after its absolute lifetime', async () => {
      const idle = await browserLogin(t);
      await t.query(`UPDATE sessions SET last_used_at = now() - interval '2 hours' WHERE aura_id = $1`, [idle.auraId]);
      expect((await refresh(t, idle.jar)).statusCode).toBe(401);
      expect((await currentUser(t, idle.jar)).statusCode).toBe(401);
      const old = await browserLogin(t);
      await t.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE aura_id = $1`, [old.auraId]);
      expect((await refresh(t, old.jar)).statusCode).toBe(401);
      // Neither is reuse: the sessions simply ended.
      expect((await sessionRows(idle.auraId))[0].revoked).toBe(false);
    });

    it('should refuse to refresh the session of an expired user record', async () => {
      const { jar, auraId } = await browserLogin(t);
      await t.query(`UPDATE aura_users SET expires_at = now() - interval '1 minute' WHERE aura_id = $1`, [auraId]);
      expect((await refresh(t, jar)).statusCode).toBe(401);
      expect((await sessionRows(auraId))[0].revoked).toBe(true);
    });
  });

  describe('POST /auth/api/v1/sessions/logout and GET /auth/api/v1/csrf', () => {
    it('should revoke the session and clear the access and refresh cookies, keeping the CSRF cookie (as Authara)', async () => {
      const { jar, auraId } = await browserLogin(t);
      expect((await onConfig(jar)).statusCode).toBe(200);
      const response = await logout(jar);
      expect(response.statusCode).toBe(204);
      const cleared = (response.cookies as Array<{ name: string; value: string; maxAge?: number; path: string }>).map(
        ({ name, value, maxAge, path }) => ({ name, value, maxAge, path }),
      );
      // The CSRF cookie stays: the page's next CSRF-protected call (a new login, a refresh) still has its token.
      expect(cleared).toEqual([
        { name: 'authara_access', value: '', maxAge: 0, path: '/' },
        { name: 'authara_refresh', value: '', maxAge: 0, path: '/auth' },
      ]);
      const after = absorb(jar, response);
      expect(after).toEqual({ authara_csrf: jar.authara_csrf });
      expect((await logout(after)).statusCode).toBe(204);
      expect((await sessionRows(auraId))[0].revoked).toBe(true);
      // The old access cookie, at once: refused like a bad one, on the session API and where a session is admitted.
      const user = await currentUser(t, jar);
      expect(user.statusCode).toBe(401);
      expect(user.json()).toEqual({
        error: { code: 'unauthorized', message: 'The session cookie is invalid or expired; refresh it.' },
      });
      const config = await onConfig(jar);
      expect(config.statusCode).toBe(401);
      expect(config.json()).toMatchObject({ code: 'session_invalid', status: 401 });
      expect((await refresh(t, jar)).statusCode).toBe(401);
      expect((await logout(jar)).statusCode).toBe(204);
    });

    it('should refuse at once the access token of a session logged out by its access cookie alone', async () => {
      const { jar } = await browserLogin(t);
      expect((await onConfig(jar)).statusCode).toBe(200);
      const { authara_access, authara_csrf } = jar;
      expect((await logout({ authara_access, authara_csrf })).statusCode).toBe(204);
      expect((await onConfig(jar)).statusCode).toBe(401);
      expect((await currentUser(t, jar)).statusCode).toBe(401);
    });

    it('should refuse, within a second, the access token of a session revoked outside the service (the database announces it)', async () => {
      const { jar, auraId } = await browserLogin(t);
      // Listening, and the session confirmed live: from now on only a notification can make this replica refuse it.
      expect(t.app.get(Invalidations).listening).toBe(true);
      expect((await onConfig(jar)).statusCode).toBe(200);
      await t.query(`UPDATE sessions SET revoked = true, revoked_at = now() WHERE aura_id = $1`, [auraId]);
      await expectRefusedWithinContract(jar);
    });

    it('should answer 403 forbidden to a logout without the CSRF header, and keep the session', async () => {
      const { jar, auraId } = await browserLogin(t);
      const response = await logout(jar, null);
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('forbidden');
      expect((await sessionRows(auraId))[0].revoked).toBe(false);
    });

    it('should hand out a CSRF token and set it as a script-readable cookie, keeping an existing one', async () => {
      const fresh = await t.request({ method: 'GET', url: CSRF });
      expect(fresh.statusCode).toBe(200);
      const token = fresh.json().csrf_token as string;
      const cookie = (fresh.cookies as Array<Record<string, unknown>>).find((c) => c.name === 'authara_csrf');
      expect(cookie).toMatchObject({ value: token, path: '/', sameSite: 'Lax' });
      expect(cookie?.httpOnly).toBeUndefined();
      const again = await t.request({ method: 'GET', url: CSRF, cookies: { authara_csrf: token } });
      expect(again.json()).toEqual({ csrf_token: token });
    });
  });

  describe('revocation with the user record', () => {
    /** The session's access cookie was admitted before (this replica trusts it from memory), and is refused now. */
    const expectGone = async (jar: Jar, auraId: string) => {
      await expectRefusedWithinContract(jar);
      expect(await sessionRows(auraId)).toEqual([]);
      expect((await currentUser(t, jar)).statusCode).toBe(401);
      expect((await refresh(t, jar)).statusCode).toBe(401);
    };

    it('should end the sessions when DELETE /users/{auraId} removes the record', async () => {
      const { jar, auraId } = await browserLogin(t);
      expect((await onConfig(jar)).statusCode).toBe(200);
      const internal = await t.createKey(Tier.Internal);
      expect(
        (await t.request({ method: 'DELETE', url: `/users/${auraId}`, headers: apiKeyHeader(internal.key) }))
          .statusCode,
      ).toBe(204);
      await expectGone(jar, auraId);
    });

    it('should end the sessions on GDPR erasure', async () => {
      const phoneNumber = '+34611223344';
      const { jar, auraId } = await browserLogin(t, { phoneNumber });
      expect((await onConfig(jar)).statusCode).toBe(200);
      const kernel = await t.createKey(Tier.Kernel);
      const response = await t.request({
        method: 'DELETE',
        url: `/admin/users/phone-numbers/${encodeURIComponent(phoneNumber)}`,
        headers: apiKeyHeader(kernel.key),
      });
      expect(response.statusCode).toBe(200);
      await expectGone(jar, auraId);
    });

    it('should end every session of the user on the Kernel logout callback, clearing the cookies of a redirected browser', async () => {
      const session = kernelSession();
      const loginUrl = (redirectUri: string) =>
        `${LOGIN}?data=${encodeURIComponent(sealed(t, CallbackPurpose.Login, { ...session, redirectUri }))}`;
      const tab = absorb({}, await t.request({ method: 'GET', url: loginUrl(`${ORIGIN}/`) }));
      const phone = absorb({}, await t.request({ method: 'GET', url: loginUrl('https://other.aura.example/') }));
      const [{ aura_id: auraId }] = await t.query<{ aura_id: string }>(
        `SELECT aura_id FROM aura_users WHERE user_id = $1`,
        [session.userId],
      );
      expect(await sessionRows(auraId)).toHaveLength(2);
      expect((await onConfig(tab)).statusCode).toBe(200);
      expect((await onConfig(phone)).statusCode).toBe(200);
      const response = await t.request({
        method: 'GET',
        url: `${LOGOUT}?data=${encodeURIComponent(sealed(t, CallbackPurpose.Logout, { ...session, redirectUri: `${ORIGIN}/bye` }))}`,
      });
      expect(response.statusCode).toBe(302);
      expect(
        (response.cookies as Array<{ name: string; maxAge?: number }>).map(({ name, maxAge }) => [name, maxAge]).sort(),
      ).toEqual([
        ['authara_access', 0],
        ['authara_refresh', 0],
      ]);
      await expectGone(tab, auraId);
      await expectGone(phone, auraId);
    });

    it('should end the sessions when a server-to-server logout callback removes the record', async () => {
      const session = kernelSession();
      const loginUrl = `${LOGIN}?data=${encodeURIComponent(sealed(t, CallbackPurpose.Login, { ...session, redirectUri: `${ORIGIN}/` }))}`;
      const jar = absorb({}, await t.request({ method: 'GET', url: loginUrl }));
      const [{ aura_id: auraId }] = await t.query<{ aura_id: string }>(
        `SELECT aura_id FROM aura_users WHERE user_id = $1`,
        [session.userId],
      );
      expect((await onConfig(jar)).statusCode).toBe(200);
      const response = await t.request({
        method: 'GET',
        url: `${LOGOUT}?data=${encodeURIComponent(sealed(t, CallbackPurpose.Logout, session))}`,
      });
      expect(response.statusCode).toBe(204);
      await expectGone(jar, auraId);
    });

    it('should refuse a session-admitted request once the user record expires, though its access token lives on', async () => {
      const { jar, auraId } = await browserLogin(t);
      await t.query(`UPDATE aura_users SET expires_at = now() + interval '2 seconds' WHERE aura_id = $1`, [auraId]);
      const [{ expires_at: expiresAt }] = await t.query<{ expires_at: Date }>(
        `SELECT expires_at FROM aura_users WHERE aura_id = $1`,
        [auraId],
      );
      // Admitted, and confirmed live in this replica's memory while the record is valid.
      expect((await onConfig(jar)).statusCode).toBe(200);
      stub.reset();
      const token = () =>
        t.request({ method: 'GET', url: '/token', cookies: { authara_access: jar.authara_access as string } });
      expect((await token()).statusCode).toBe(200);
      // No notification comes when a record merely expires: the replica must not trust its memory past that.
      let refused: Awaited<ReturnType<typeof token>> | undefined;
      const deadline = expiresAt.getTime() + 2_000;
      while (refused === undefined && Date.now() < deadline) {
        const response = await token();
        if (response.statusCode === 401) {
          refused = response;
        } else {
          expect(Date.now()).toBeLessThan(expiresAt.getTime() + 1_000);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      expect(refused?.json()).toMatchObject({ code: 'session_invalid', status: 401 });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime() - 100);
      expect((await onConfig(jar)).statusCode).toBe(401);
      expect((await currentUser(t, jar)).statusCode).toBe(401);
    });

    it('should end the sessions when the expiry sweep deletes the record', async () => {
      const { jar, auraId } = await browserLogin(t);
      expect((await onConfig(jar)).statusCode).toBe(200);
      await t.query(`UPDATE aura_users SET expires_at = now() - interval '1 day' WHERE aura_id = $1`, [auraId]);
      expect(await t.app.get(UsersSweeper).sweep()).toBeGreaterThanOrEqual(1);
      await expectGone(jar, auraId);
    });

    it('should sweep ended sessions and keep live ones', async () => {
      const live = await browserLogin(t);
      const ended = await browserLogin(t);
      const revoked = await browserLogin(t);
      await t.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE aura_id = $1`, [ended.auraId]);
      await t.query(`UPDATE sessions SET revoked = true, revoked_at = now() - interval '1 hour' WHERE aura_id = $1`, [
        revoked.auraId,
      ]);
      expect(await t.app.get(SessionsSweeper).sweep()).toBeGreaterThanOrEqual(2);
      expect(await sessionRows(ended.auraId)).toEqual([]);
      expect(await sessionRows(revoked.auraId)).toEqual([]);
      expect(await sessionRows(live.auraId)).toHaveLength(1);
    });
  });

  describe('a session as the credential of /token, /token/wss and /config', () => {
    it('should give a Direct Line token bound to dl_a_<auraId> of the session, without an API key', async () => {
      const { jar, auraId } = await browserLogin(t);
      stub.reset();
      const token = await t.request({
        method: 'GET',
        url: '/token',
        cookies: { authara_access: jar.authara_access as string },
      });
      expect(token.statusCode).toBe(200);
      const wss = await t.request({
        method: 'GET',
        url: `/token/wss?userId=${auraId}`,
        cookies: { authara_access: jar.authara_access as string },
      });
      expect(wss.statusCode).toBe(200);
      expect(stub.calls.map((call) => (call.body as { user?: { id: string } }).user?.id)).toEqual([
        `dl_a_${auraId}`,
        `dl_a_${auraId}`,
      ]);
      const config = await t.request({
        method: 'GET',
        url: '/config',
        cookies: { authara_access: jar.authara_access as string },
      });
      expect(config.statusCode).toBe(200);
      expect(config.json()).toEqual({ storageSubdomain: 'auratest' });
    });

    it('should refuse with 403 a session asking for another user’s token', async () => {
      const { jar } = await browserLogin(t);
      stub.reset();
      const response = await t.request({
        method: 'GET',
        url: '/token?userId=someone-else',
        cookies: { authara_access: jar.authara_access as string },
      });
      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().code).toBe('session_user_mismatch');
      expect(stub.calls).toEqual([]);
    });

    it('should answer 401 session_invalid to an invalid session cookie, and api_key_missing with neither', async () => {
      const invalid = await t.request({
        method: 'GET',
        url: '/token',
        cookies: { authara_access: 'expired.or.forged' },
      });
      expect(invalid.statusCode).toBe(401);
      expect(invalid.json().code).toBe('session_invalid');
      const none = await t.request({ method: 'GET', url: '/config' });
      expect(none.statusCode).toBe(401);
      expect(none.json().code).toBe('api_key_missing');
    });

    it('should let an API key decide when one is sent, session cookie or not', async () => {
      const { jar } = await browserLogin(t);
      const key = await t.createKey(Tier.Public);
      stub.reset();
      const response = await t.request({
        method: 'GET',
        url: '/token?userId=any-user',
        headers: apiKeyHeader(key.key),
        cookies: { authara_access: jar.authara_access as string },
      });
      expect(response.statusCode).toBe(200);
      expect((stub.calls[0].body as { user: { id: string } }).user.id).toBe('dl_u_any-user');
      expect(
        (
          await t.request({
            method: 'GET',
            url: '/users/whatever',
            cookies: { authara_access: jar.authara_access as string },
          })
        ).statusCode,
      ).toBe(401);
    });
  });

  it('should admit a session on exactly /token, /token/wss and /config (the permission change, in OpenAPI)', () => {
    const spec = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi', 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, { 'x-credentials'?: string[]; 'x-access-tiers'?: string[] }>>;
    };
    // Routes that admit a session beside API keys; GET /auth/api/v1/user admits a session alone.
    const admitted = Object.entries(spec.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(
          ([, operation]) =>
            operation['x-credentials']?.includes('session') && (operation['x-access-tiers'] ?? []).length > 0,
        )
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(admitted.sort()).toEqual(['GET /config', 'GET /token', 'GET /token/wss']);
  });

  describe('unknown routes of /auth/api/v1', () => {
    it.each([
      ['GET', '/auth/api/v1/account'],
      ['DELETE', '/auth/api/v1/account/sessions/others'],
      ['PATCH', '/auth/api/v1/organizations/org-1'],
      ['GET', '/auth/api/v1/user/extra'],
    ] as const)('should answer %s %s with 404 not_found in Authara’s envelope', async (method, url) => {
      const response = await t.request({ method, url, headers: { origin: ORIGIN } });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
      // The page can read it: CORS applies to errors too.
      expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
    });

    it('should keep problem+json for unknown routes elsewhere', async () => {
      const response = await t.request({ method: 'GET', url: '/auth/other' });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().code).toBe('route_not_found');
    });
  });

  describe('CORS', () => {
    const preflight = (url: string, origin: string, method = 'POST') =>
      t.request({
        method: 'OPTIONS',
        url,
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'x-csrf-token' },
      });

    it('should answer a preflight of an allowed origin on the session API and the session-admitting routes', async () => {
      for (const [url, method] of [
        ['/auth/api/v1/sessions/refresh?audience=app', 'POST'],
        ['/auth/api/v1/sessions/logout', 'POST'],
        ['/auth/api/v1/user', 'GET'],
        ['/token?userId=x', 'GET'],
        ['/token/wss', 'GET'],
        ['/config', 'GET'],
      ]) {
        const response = await preflight(url, ORIGIN, method);
        expect(response.statusCode).toBe(204);
        expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
        expect(response.headers['access-control-allow-credentials']).toBe('true');
        expect(String(response.headers['access-control-allow-headers']).toLowerCase()).toContain('x-csrf-token');
        expect(response.headers['access-control-allow-methods']).toBe(
          url.startsWith('/auth/api/v1/') ? 'GET, POST, PUT, PATCH, DELETE' : 'GET, POST',
        );
      }
    });

    it('should let the Authara client preflight every method and header it sends on /auth/api/v1', async () => {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        const response = await t.request({
          method: 'OPTIONS',
          url: '/auth/api/v1/account/sessions/others',
          headers: {
            origin: ORIGIN,
            'access-control-request-method': method,
            'access-control-request-headers': 'content-type,x-csrf-token',
          },
        });
        expect(response.statusCode).toBe(204);
        expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
        expect(String(response.headers['access-control-allow-methods']).split(', ')).toContain(method);
        expect(String(response.headers['access-control-allow-headers']).toLowerCase()).toMatch(
          /content-type.*x-csrf-token/,
        );
      }
    });

    it('should give no CORS grant to another origin, nor on other routes', async () => {
      const foreign = await preflight('/auth/api/v1/sessions/refresh', 'https://evil.example');
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
      const otherRoute = await preflight('/users/some-aura-id', ORIGIN, 'GET');
      expect(otherRoute.headers['access-control-allow-origin']).toBeUndefined();
      expect(otherRoute.statusCode).toBe(404);
    });

    it('should echo the allowed origin (never *) on actual responses, errors included', async () => {
      const response = await t.request({ method: 'GET', url: USER, headers: { origin: ORIGIN } });
      expect(response.statusCode).toBe(401);
      expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(response.headers.vary).toMatch(/origin/i);
    });
  });
});

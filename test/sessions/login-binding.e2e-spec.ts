import type { Response as InjectResponse } from 'light-my-request';
import { CallbackPurpose } from 'src/callbacks/callback-cipher';
import { createTestApp, type TestApp } from '../support/test-app';
import { absorb, cookiesOf, type Jar, kernelSession, LOGIN, sealed } from './session-support';

const ORIGIN = 'https://web.aura.example';
const LOGIN_STATE = '/auth/api/v1/login/state';

/**
 * Login CSRF (docs/sessions.md "Login binding"): a login callback opens a session only in the browser that
 * started the login, as OAuth `state` does. SESSION_LOGIN_BINDING=required, as in production.
 */
describe('login binding of the Kernel callback (SESSION_LOGIN_BINDING=required)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      CALLBACK_REDIRECT_ALLOWLIST: ORIGIN,
      SESSION_LOGIN_BINDING: 'required',
      RATE_LIMIT_LIMIT: '1000000',
    });
  });
  afterAll(() => t.close());

  const cookieNamed = (response: InjectResponse, name: string) =>
    (response.cookies as Array<Record<string, unknown>>).find((cookie) => cookie.name === name);
  const startLogin = async () => {
    const response = await t.request({ method: 'POST', url: LOGIN_STATE });
    expect(response.statusCode).toBe(200);
    const { state } = response.json<{ state: string }>();
    t.secrets.add(state, 'login state');
    return { state, response };
  };
  /** Follows a login callback in a browser holding `cookies`. */
  const callback = (payload: Record<string, unknown>, cookies: Record<string, string> = {}) =>
    t.request({
      method: 'GET',
      url: `${LOGIN}?data=${encodeURIComponent(sealed(t, CallbackPurpose.Login, { ...payload, redirectUri: `${ORIGIN}/chat` }))}`,
      cookies,
    });
  const sessionsOf = (userId: unknown) =>
    t.query<{ id: string; revoked: boolean }>(
      `SELECT s.id, s.revoked FROM sessions s JOIN aura_users u ON u.aura_id = s.aura_id WHERE u.user_id = $1`,
      [userId],
    );
  const usersWith = (userId: unknown) =>
    t.query<{ aura_id: string }>(`SELECT aura_id FROM aura_users WHERE user_id = $1`, [userId]);

  it('should hand out a login state as an HttpOnly, SameSite=Lax cookie of the callback path', async () => {
    const { state, response } = await startLogin();
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(cookieNamed(response, 'authara_login_state')).toMatchObject({
      value: state,
      path: '/users/auraid',
      httpOnly: true,
      sameSite: 'Lax',
      maxAge: 600,
    });
    expect((await startLogin()).state).not.toBe(state);
  });

  it('should open a session when the sealed state equals the browser’s cookie, and clear the cookie', async () => {
    const { state } = await startLogin();
    const kernel = kernelSession();
    const response = await callback({ ...kernel, state }, { authara_login_state: state });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe(`${ORIGIN}/chat`);
    const jar = cookiesOf(absorb({}, response));
    expect(Object.keys(jar).sort()).toEqual(['authara_access', 'authara_csrf', 'authara_refresh']);
    Object.values(jar).forEach((value) => t.secrets.add(value, 'session cookie'));
    expect(cookieNamed(response, 'authara_login_state')).toMatchObject({ value: '', maxAge: 0, path: '/users/auraid' });
    expect(await sessionsOf(kernel.userId)).toEqual([{ id: expect.any(String), revoked: false }]);
  });

  it.each([
    ['no state sealed', undefined, 'state-of-this-browser-0123456789abcdefghijklm'],
    [
      'a sealed state but no cookie (the URL followed in another browser)',
      'state-of-the-attacker-0123456789abcdefghijk',
      undefined,
    ],
    [
      'a sealed state that differs from the cookie',
      'state-of-the-attacker-0123456789abcdefghijk',
      'state-of-this-browser-0123456789abcdefghijklm',
    ],
  ])('should open no session with %s, though the user record is created', async (_name, state, cookie) => {
    const kernel = kernelSession();
    const response = await callback(
      { ...kernel, ...(state === undefined ? {} : { state }) },
      cookie === undefined ? {} : { authara_login_state: cookie },
    );
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe(`${ORIGIN}/chat`);
    expect(response.cookies.map((c: { name: string }) => c.name)).toEqual(['authara_login_state']);
    expect(await usersWith(kernel.userId)).toHaveLength(1);
    expect(await sessionsOf(kernel.userId)).toEqual([]);
  });

  it('should revoke the session of another user that a bound login replaces in the browser', async () => {
    const first = await startLogin();
    const alice = kernelSession();
    const aliceJar: Jar = absorb(
      {},
      await callback({ ...alice, state: first.state }, { authara_login_state: first.state }),
    );
    Object.values(cookiesOf(aliceJar)).forEach((value) => t.secrets.add(value, 'session cookie'));
    const [aliceSession] = await sessionsOf(alice.userId);

    // The same browser (Alice's cookies) completes a bound login of Bob.
    const second = await startLogin();
    const bob = kernelSession();
    const response = await callback(
      { ...bob, state: second.state },
      { ...cookiesOf(aliceJar), authara_login_state: second.state },
    );
    expect(response.statusCode).toBe(302);
    const bobJar = absorb(aliceJar, response);
    Object.values(cookiesOf(bobJar)).forEach((value) => t.secrets.add(value, 'session cookie'));
    expect(bobJar.authara_access).not.toBe(aliceJar.authara_access);
    expect(await sessionsOf(alice.userId)).toEqual([{ id: aliceSession.id, revoked: true }]);
    expect(await sessionsOf(bob.userId)).toEqual([{ id: expect.any(String), revoked: false }]);
    const aliceUser = await t.request({
      method: 'GET',
      url: '/auth/api/v1/user',
      cookies: { authara_access: aliceJar.authara_access as string },
    });
    expect(aliceUser.statusCode).toBe(401);
  });

  it('should keep the browser’s session when an unbound login (a planted callback URL) opens none', async () => {
    const { state } = await startLogin();
    const alice = kernelSession();
    const aliceJar = absorb({}, await callback({ ...alice, state }, { authara_login_state: state }));
    Object.values(cookiesOf(aliceJar)).forEach((value) => t.secrets.add(value, 'session cookie'));
    const attacker = kernelSession();
    const response = await callback(
      { ...attacker, state: 'state-of-the-attacker-0123456789abcdefghijk' },
      cookiesOf(aliceJar),
    );
    expect(response.statusCode).toBe(302);
    expect(response.cookies.map((c: { name: string }) => c.name)).toEqual(['authara_login_state']);
    expect(await sessionsOf(alice.userId)).toEqual([{ id: expect.any(String), revoked: false }]);
    expect(await sessionsOf(attacker.userId)).toEqual([]);
  });
});

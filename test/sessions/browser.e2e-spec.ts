import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { CallbackPurpose } from 'src/callbacks/callback-cipher';
import { launchChromium } from '../support/chromium';
import { DirectLineStub } from '../support/directline-stub';
import { createTestApp, type TestApp } from '../support/test-app';
import { kernelSession, LOGIN, sealed } from './session-support';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const ACCESS_TTL_SECONDS = 3;

/**
 * The channel's page, served from another origin than the service. Its script is this project's own
 * browser client, making the requests an Authara browser client makes: `credentials: 'include'`, the CSRF
 * token read from the `authara_csrf` cookie into `X-CSRF-Token`, and on a 401 one refresh
 * (`POST /auth/api/v1/sessions/refresh?audience=app`) and one retry.
 */
function channelPage(api: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Aura web channel</title></head>
<body><h1>Aura web channel</h1><pre id="log"></pre>
<script>
  const api = ${JSON.stringify(api)};
  const log = (line) => { document.getElementById('log').textContent += line + '\\n'; };
  const csrf = () => {
    const entry = document.cookie.split(';').map((part) => part.trim()).find((part) => part.startsWith('authara_csrf='));
    return entry === undefined ? null : decodeURIComponent(entry.slice('authara_csrf='.length));
  };
  const call = async (method, path, { withCsrf = false } = {}) => {
    const headers = {};
    const token = csrf();
    if (withCsrf && token !== null) { headers['X-CSRF-Token'] = token; }
    const response = await fetch(api + path, { method, headers, credentials: 'include' });
    const text = await response.text();
    log(method + ' ' + path + ' -> ' + response.status);
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  };
  const refresh = async () => {
    const token = csrf();
    if (token === null) { return false; }
    const response = await fetch(api + '/auth/api/v1/sessions/refresh?audience=app', {
      method: 'POST', headers: { 'X-CSRF-Token': token }, credentials: 'include',
    });
    log('POST refresh -> ' + response.status);
    return response.ok;
  };
  /** A request that needs the session: on 401, one refresh and one retry. */
  const authenticated = async (method, path) => {
    const first = await call(method, path);
    if (first.status === 401 && (await refresh())) { return { ...(await call(method, path)), refreshed: true }; }
    return { ...first, refreshed: false };
  };
  window.aura = {
    cookieNames: () => document.cookie.split(';').map((part) => part.trim().split('=')[0]).filter((name) => name !== ''),
    getCurrentUser: () => authenticated('GET', '/auth/api/v1/user'),
    getToken: (query) => authenticated('GET', '/token' + (query ?? '')),
    logout: () => call('POST', '/auth/api/v1/sessions/logout', { withCsrf: true }),
    postWithoutCsrf: (path) => call('POST', path),
  };
</script></body></html>`;
}

/** The channel page on loopback at `/chat`, calling the service at `api()` (known once the service listens). */
async function serveChannelPage(api: () => string): Promise<Server> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const server = createServer((request, response) => {
    response.writeHead(request.url?.startsWith('/chat') ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(request.url?.startsWith('/chat') ? channelPage(api()) : 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe('browser sessions in Chromium', () => {
  let t: TestApp;
  let stub: DirectLineStub;
  let pageServer: Server;
  let context: BrowserContext;
  let userDataDir: string;
  let api: string;
  let channel: string;

  beforeAll(async () => {
    stub = await DirectLineStub.start({ secret: 'directline-browser-secret' });
    pageServer = await serveChannelPage(() => api);
    channel = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    t = await createTestApp({
      CALLBACK_REDIRECT_ALLOWLIST: channel,
      SESSION_ACCESS_TTL_SECONDS: String(ACCESS_TTL_SECONDS),
      DIRECTLINE_SECRET: 'directline-browser-secret',
      DIRECTLINE_BASE_URL: stub.url,
      RATE_LIMIT_LIMIT: '1000000',
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    api = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    userDataDir = mkdtempSync(join(tmpdir(), 'aura-chromium-'));
    context = await launchChromium({ userDataDir, viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir !== undefined) {
      rmSync(userDataDir, { recursive: true, force: true });
    }
    await t?.close();
    await stub?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
  });

  it('should open a session through the login callback and live through it in the page', async () => {
    const page = await context.newPage();
    const kernel = kernelSession({ subscriptionType: 'prepaid' });
    const data = sealed(t, CallbackPurpose.Login, { ...kernel, redirectUri: `${channel}/chat` });
    await page.goto(`${api}${LOGIN}?data=${encodeURIComponent(data)}`);
    expect(page.url()).toBe(`${channel}/chat`);
    const [{ aura_id: auraId }] = await t.query<{ aura_id: string }>(
      `SELECT aura_id FROM aura_users WHERE user_id = $1`,
      [kernel.userId],
    );

    // Scripts see the CSRF cookie only; the browser holds all three.
    expect(await page.evaluate('window.aura.cookieNames()')).toEqual(['authara_csrf']);
    const held = (await context.cookies(api)).map((cookie) => [
      cookie.name,
      cookie.httpOnly,
      cookie.path,
      cookie.sameSite,
    ]);
    expect(held.sort()).toEqual([
      ['authara_access', true, '/', 'Lax'],
      ['authara_csrf', false, '/', 'Lax'],
    ]);
    expect((await context.cookies(`${api}/auth/api/v1/sessions/refresh`)).map((cookie) => cookie.name)).toContain(
      'authara_refresh',
    );

    type Result = { status: number; body: Record<string, unknown> | null; refreshed?: boolean };
    const run = (script: string) => page.evaluate<Result>(script);

    const user = await run('window.aura.getCurrentUser()');
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ id: auraId, roles: [], aura_roles: ['aura:authenticated', 'aura:prepaid'] });

    // The access token expires; the next call gets 401, refreshes with the CSRF header, and retries.
    await page.waitForTimeout((ACCESS_TTL_SECONDS + 1) * 1000);
    const afterExpiry = await run('window.aura.getCurrentUser()');
    expect(afterExpiry).toMatchObject({ status: 200, refreshed: true });
    expect(afterExpiry.body?.id).toBe(auraId);
    const [row] = await t.query<{ previous_refresh_hash: string | null }>(
      `SELECT previous_refresh_hash FROM sessions WHERE aura_id = $1`,
      [auraId],
    );
    expect(row.previous_refresh_hash).not.toBeNull();

    stub.reset();
    const token = await run('window.aura.getToken()');
    expect(token.status).toBe(200);
    expect(token.body).toEqual({ token: expect.any(String), expires_in: expect.any(Number) });
    expect((stub.calls[0].body as { user: { id: string } }).user.id).toBe(`dl_a_${auraId}`);
    expect((await run(`window.aura.getToken('?userId=someone-else')`)).status).toBe(403);
    await screenshot(page, 'sessions-channel-page');

    // A cross-origin POST that does not send the CSRF header is refused.
    const forged = await run(`window.aura.postWithoutCsrf('/auth/api/v1/sessions/logout')`);
    expect(forged).toEqual({ status: 403, body: { error: { code: 'forbidden', message: expect.any(String) } } });

    const loggedOut = await run('window.aura.logout()');
    expect(loggedOut.status).toBe(204);
    // As Authara: the access and refresh cookies go, the CSRF cookie stays for the page's next call.
    expect((await context.cookies(api)).map((cookie) => cookie.name)).toEqual(['authara_csrf']);
    expect((await run('window.aura.getCurrentUser()')).status).toBe(401);
    expect(
      (await t.query<{ revoked: boolean }>(`SELECT revoked FROM sessions WHERE aura_id = $1`, [auraId]))[0].revoked,
    ).toBe(true);
    await page.close();
  });
});

/**
 * Sibling subdomains (docs/sessions.md "Layouts"): the page on web.example.test, the service on
 * auth.example.test, both mapped to loopback by Chromium's resolver. With SESSION_COOKIE_DOMAIN the
 * cookies belong to example.test, so the page reads the CSRF cookie the service set, and its fetches
 * (same site: SameSite=Lax lets them through) carry the session.
 */
describe('browser sessions in Chromium across sibling subdomains (SESSION_COOKIE_DOMAIN)', () => {
  let t: TestApp;
  let pageServer: Server;
  let context: BrowserContext;
  let userDataDir: string;
  let api: string;
  let channel: string;

  beforeAll(async () => {
    pageServer = await serveChannelPage(() => api);
    channel = `http://web.example.test:${(pageServer.address() as AddressInfo).port}`;
    t = await createTestApp({
      PUBLIC_BASE_URL: 'http://auth.example.test',
      SESSION_COOKIE_DOMAIN: '.example.test',
      CALLBACK_REDIRECT_ALLOWLIST: channel,
      SESSION_ACCESS_TTL_SECONDS: String(ACCESS_TTL_SECONDS),
      RATE_LIMIT_LIMIT: '1000000',
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    api = `http://auth.example.test:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    userDataDir = mkdtempSync(join(tmpdir(), 'aura-chromium-'));
    context = await launchChromium({
      userDataDir,
      args: ['--host-resolver-rules=MAP *.example.test 127.0.0.1'],
      viewport: { width: 1280, height: 900 },
    });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir !== undefined) {
      rmSync(userDataDir, { recursive: true, force: true });
    }
    await t?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
  });

  it('should let a page on web.example.test read the user, refresh and log out against auth.example.test', async () => {
    const page = await context.newPage();
    const kernel = kernelSession();
    const data = sealed(t, CallbackPurpose.Login, { ...kernel, redirectUri: `${channel}/chat` });
    await page.goto(`${api}${LOGIN}?data=${encodeURIComponent(data)}`);
    expect(page.url()).toBe(`${channel}/chat`);
    const [{ aura_id: auraId }] = await t.query<{ aura_id: string }>(
      `SELECT aura_id FROM aura_users WHERE user_id = $1`,
      [kernel.userId],
    );

    // The cookies belong to the parent domain: the page's own host holds them, and its script reads the CSRF one.
    const held = (await context.cookies(channel)).map((cookie) => [cookie.name, cookie.domain]);
    expect(held.sort()).toEqual([
      ['authara_access', '.example.test'],
      ['authara_csrf', '.example.test'],
    ]);
    expect(await page.evaluate('window.aura.cookieNames()')).toEqual(['authara_csrf']);

    type Result = { status: number; body: Record<string, unknown> | null; refreshed?: boolean };
    const run = (script: string) => page.evaluate<Result>(script);
    const user = await run('window.aura.getCurrentUser()');
    expect(user).toMatchObject({ status: 200, refreshed: false });
    expect(user.body?.id).toBe(auraId);

    // The access token expires; the page refreshes across the subdomains (refresh cookie, CSRF header) and retries.
    await page.waitForTimeout((ACCESS_TTL_SECONDS + 1) * 1000);
    const afterExpiry = await run('window.aura.getCurrentUser()');
    expect(afterExpiry).toMatchObject({ status: 200, refreshed: true });
    expect(afterExpiry.body?.id).toBe(auraId);
    const [rotated] = await t.query<{ previous_refresh_hash: string | null }>(
      `SELECT previous_refresh_hash FROM sessions WHERE aura_id = $1`,
      [auraId],
    );
    expect(rotated.previous_refresh_hash).not.toBeNull();
    await screenshot(page, 'sessions-sibling-subdomains');

    const loggedOut = await run('window.aura.logout()');
    expect(loggedOut.status).toBe(204);
    // Cleared with the same Domain they were set with; the CSRF cookie stays, as in Authara.
    expect((await context.cookies(channel)).map((cookie) => cookie.name)).toEqual(['authara_csrf']);
    expect((await run('window.aura.getCurrentUser()')).status).toBe(401);
    const [row] = await t.query<{ revoked: boolean }>(`SELECT revoked FROM sessions WHERE aura_id = $1`, [auraId]);
    expect(row.revoked).toBe(true);
    await page.close();
  });
});

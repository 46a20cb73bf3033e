import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, SignJWT } from 'jose';
import { ACCESS_TOKEN_TYPE } from 'src/sessions/access-tokens';
import { generateSigningKeyEntry, SigningKeyState } from 'src/openid/signing-keys';
import { createTestApp, type TestApp } from '../support/test-app';
import { browserLogin, USER } from './session-support';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];

/**
 * The JWKS also publishes aura-bot's public keys (docs/signing-keys.md). The bot holds their private
 * halves, so a token it signs must never pass for one of this service's session access tokens.
 */
describe('session access tokens and the bot’s published keys', () => {
  let t: TestApp;
  let botPrivateJwk: JWK;
  let botKid: string;

  beforeAll(async () => {
    const own = await generateSigningKeyEntry('ES256', SigningKeyState.Active);
    const bot = await generateSigningKeyEntry('ES256', SigningKeyState.Published);
    botPrivateJwk = bot.jwk;
    botKid = bot.kid;
    const botPublic = Object.fromEntries(Object.entries(bot.jwk).filter(([name]) => !PRIVATE_MEMBERS.includes(name)));
    t = await createTestApp({
      OPENID_SIGNING_KEYS: JSON.stringify([own, { kid: bot.kid, alg: 'ES256', state: 'published', jwk: botPublic }]),
      CALLBACK_REDIRECT_ALLOWLIST: 'https://web.aura.example',
    });
  });
  afterAll(() => t.close());

  it('should publish the bot’s key in the JWKS', async () => {
    const response = await t.request({ method: 'GET', url: '/openid/jwk' });
    expect(response.json<{ keys: { kid: string }[] }>().keys.map((key) => key.kid)).toContain(botKid);
  });

  it('should refuse an access token with the genuine claims but signed by the bot’s key', async () => {
    const { jar } = await browserLogin(t);
    const genuine = jar.authara_access ?? '';
    expect(decodeProtectedHeader(genuine).kid).not.toBe(botKid);
    const ok = await t.request({ method: 'GET', url: USER, cookies: { authara_access: genuine } });
    expect(ok.statusCode).toBe(200);

    const forged = await new SignJWT(decodeJwt(genuine))
      .setProtectedHeader({ alg: 'ES256', kid: botKid, typ: ACCESS_TOKEN_TYPE })
      .sign(await importJWK(botPrivateJwk, 'ES256'));
    const user = await t.request({ method: 'GET', url: USER, cookies: { authara_access: forged } });
    expect(user.statusCode).toBe(401);
    expect(user.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const config = await t.request({ method: 'GET', url: '/config', cookies: { authara_access: forged } });
    expect(config.statusCode).toBe(401);
    expect(config.json()).toMatchObject({ code: 'session_invalid' });
  });
});

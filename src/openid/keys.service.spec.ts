import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { loadConfig } from 'src/config/app-config';
import { ServerSettings } from 'src/config/server.settings';
import { KeysService, MAX_TOKEN_LIFETIME_SECONDS } from 'src/openid/keys.service';
import { generateSigningKeyEntry, parseSigningKeys, SigningKeyState, type SigningKey } from 'src/openid/signing-keys';

describe('KeysService.sign', () => {
  let keys: SigningKey[];
  let service: KeysService;

  beforeAll(async () => {
    const entries = [
      await generateSigningKeyEntry('ES256', SigningKeyState.Published, 'next'),
      await generateSigningKeyEntry('ES256', SigningKeyState.Active, 'current'),
    ];
    keys = await parseSigningKeys(JSON.stringify(entries), 'test');
    service = new KeysService(keys, loadConfig({ PUBLIC_BASE_URL: 'https://aura.example.com/' }).get(ServerSettings));
  });

  function publicKeyOf(kid: string) {
    return createPublicKey(keys.find((key) => key.kid === kid)!.privateKey!);
  }

  it('should sign with the active key and default iss, iat, exp and jti', async () => {
    const token = await service.sign({ sub: 'device-1', aud: 'https://kernel.example.com/token' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'current', typ: 'JWT' });
    const { payload } = await jwtVerify(token, publicKeyOf('current'), {
      issuer: 'https://aura.example.com/openid/issuer',
      audience: 'https://kernel.example.com/token',
    });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.sub).toBe('device-1');
    await expect(jwtVerify(token, publicKeyOf('next'))).rejects.toThrow('signature verification failed');
  });

  it('should keep the claims and header type the caller gives', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const token = await service.sign({ iss: 'aura-bot', jti: 'fixed', exp }, { type: 'JWT-bearer' });
    expect(decodeProtectedHeader(token).typ).toBe('JWT-bearer');
    const { payload } = await jwtVerify(token, publicKeyOf('current'));
    expect(payload).toMatchObject({ iss: 'aura-bot', jti: 'fixed', exp });
  });

  it.each([
    ['too long', { expiresInSeconds: MAX_TOKEN_LIFETIME_SECONDS + 1 }, {}],
    ['already expired', {}, { exp: Math.floor(Date.now() / 1000) - 1 }],
    ['not a whole second', {}, { exp: Date.now() / 1000 + 10.5 }],
  ])('should refuse a lifetime %s', async (_name, options, claims) => {
    await expect(service.sign(claims, options)).rejects.toThrow(RangeError);
  });
});

describe('KeysService with public-only keys (published for another signer)', () => {
  const publicJwkOf = (entry: { jwk: JWK }) => {
    const { d: _private, ...publicPart } = entry.jwk;
    return publicPart;
  };

  it('should sign only with its own private key, never with a published public key listed first', async () => {
    const bot = await generateSigningKeyEntry('ES256', SigningKeyState.Active, 'bot');
    const own = await generateSigningKeyEntry('RS256', SigningKeyState.Active, 'own');
    // A standard JWK Set: the bot's public key first, then this service's private key.
    const keys = await parseSigningKeys(
      JSON.stringify({
        keys: [
          { ...publicJwkOf(bot), kid: 'bot', alg: 'ES256', use: 'sig' },
          { ...own.jwk, kid: 'own', alg: 'RS256' },
        ],
      }),
      'test',
    );
    const service = new KeysService(keys, loadConfig({}).get(ServerSettings));
    expect(service.activeKid).toBe('own');
    expect(service.publicKeys().map((key) => key.kid)).toEqual(['own', 'bot']);
    const token = await service.sign({ sub: 'device-1' });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: 'own' });
    await jwtVerify(token, createPublicKey(keys.find((key) => key.kid === 'own')!.privateKey!));
  });

  it('should refuse to sign when it holds no private key at all', async () => {
    const bot = await generateSigningKeyEntry('ES256', SigningKeyState.Published, 'bot');
    const keys = await parseSigningKeys(
      JSON.stringify([{ kid: 'bot', alg: 'ES256', state: 'published', jwk: publicJwkOf(bot) }]),
      'test',
    );
    const service = new KeysService(keys, loadConfig({}).get(ServerSettings));
    expect(service.activeKid).toBeUndefined();
    expect(service.publicKeys().map((key) => key.kid)).toEqual(['bot']);
    await expect(service.sign({ sub: 'x' })).rejects.toThrow('No private signing key');
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  importJWK,
  type JWK,
  jwtVerify,
  type JWTVerifyResult,
  SignJWT,
} from 'jose';
import { KeysService } from 'src/openid/keys.service';
import { generateSigningKeyEntry, SigningKeyState, type SigningKeyEntry } from 'src/openid/signing-keys';
import { startForwardingProxy, type ForwardingProxy } from '../support/forwarding-proxy';
import { createTestApp, type TestApp } from '../support/test-app';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const DISCOVERY_PATH = '/openid/issuer/.well-known/openid-configuration';
const AUDIENCE = 'https://kernel.example.com/token';

interface Discovery {
  issuer: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported: string[];
}

/**
 * The service as verifiers meet it: listening on a real loopback port, behind a forwarding
 * proxy whose URL is PUBLIC_BASE_URL (as an ingress would be, across restarts).
 */
async function startService(proxy: ForwardingProxy, env: Record<string, string>): Promise<TestApp> {
  const t = await createTestApp({ PUBLIC_BASE_URL: proxy.url, ...env });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  proxy.forwardTo(await t.app.getUrl());
  return t;
}

function keysEnv(...entries: SigningKeyEntry[]): Record<string, string> {
  return { OPENID_SIGNING_KEYS: JSON.stringify(entries) };
}

async function fetchDiscovery(baseUrl: string): Promise<Discovery> {
  const response = await fetch(`${baseUrl}${DISCOVERY_PATH}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Discovery;
}

/** What a verifier such as Kernel does: discovery document → jwks_uri → remote key set → verify. */
async function verifyLikeKernel(baseUrl: string, token: string): Promise<JWTVerifyResult> {
  const discovery = await fetchDiscovery(baseUrl);
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  return jwtVerify(token, jwks, {
    issuer: discovery.issuer,
    audience: AUDIENCE,
    algorithms: discovery.id_token_signing_alg_values_supported,
  });
}

describe('OpenID discovery and key rotation over HTTP', () => {
  // Rotation from an RS256 key to an ES256 key: the algorithm may change with the key.
  let oldKey: SigningKeyEntry & { kid: string };
  let newKey: SigningKeyEntry & { kid: string };
  let tokenOfOldKey: string;
  let tokenOfNewKey: string;
  // One ingress for the three deployments: the issuer URL stays the same through the rotation.
  let proxy: ForwardingProxy;

  beforeAll(async () => {
    proxy = await startForwardingProxy();
    oldKey = await generateSigningKeyEntry('RS256', SigningKeyState.Active);
    newKey = await generateSigningKeyEntry('ES256', SigningKeyState.Published);
  });
  afterAll(() => proxy.close());

  describe('before rotation: old key active, new key published', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startService(proxy, { ...keysEnv(oldKey, newKey), JWKS_MAX_AGE_SECONDS: '120' });
    });
    afterAll(() => t.close());

    it('should serve the discovery document at the issuer with the jwks_uri, without an API key', async () => {
      expect(await fetchDiscovery(proxy.url)).toEqual({
        issuer: `${proxy.url}/openid/issuer`,
        jwks_uri: `${proxy.url}/openid/jwk`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        grant_types_supported: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
      });
    });

    it('should publish both keys with only their public members, the active one first', async () => {
      const response = await fetch(`${proxy.url}/openid/jwk`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('public, max-age=120');
      const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
      expect(keys).toEqual([
        { kty: 'RSA', kid: oldKey.kid, use: 'sig', alg: 'RS256', n: oldKey.jwk?.n, e: oldKey.jwk?.e },
        {
          kty: 'EC',
          kid: newKey.kid,
          use: 'sig',
          alg: 'ES256',
          crv: 'P-256',
          x: newKey.jwk?.x,
          y: newKey.jwk?.y,
        },
      ]);
      for (const key of keys) {
        for (const member of PRIVATE_MEMBERS) {
          expect(key).not.toHaveProperty(member);
        }
      }
    });

    it('should sign with the active key only, and the token should verify through the discovery document', async () => {
      tokenOfOldKey = await t.app.get(KeysService).sign({ sub: 'device-1', aud: AUDIENCE });
      expect(decodeProtectedHeader(tokenOfOldKey)).toMatchObject({ alg: 'RS256', kid: oldKey.kid });
      const { payload, protectedHeader } = await verifyLikeKernel(proxy.url, tokenOfOldKey);
      expect(protectedHeader.kid).toBe(oldKey.kid);
      expect(payload).toMatchObject({ iss: `${proxy.url}/openid/issuer`, sub: 'device-1', aud: AUDIENCE });
    });

    it('should answer 304 with no body to a matching If-None-Match, and 200 otherwise', async () => {
      const first = await fetch(`${proxy.url}/openid/jwk`);
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      for (const ifNoneMatch of [etag, `W/${etag}`, `"stale", ${etag}`, '*']) {
        const cached = await fetch(`${proxy.url}/openid/jwk`, { headers: { 'if-none-match': ifNoneMatch } });
        expect({ ifNoneMatch, status: cached.status }).toEqual({ ifNoneMatch, status: 304 });
        expect(await cached.text()).toBe('');
        expect(cached.headers.get('etag')).toBe(etag);
        expect(cached.headers.get('cache-control')).toBe('public, max-age=120');
      }
      const stale = await fetch(`${proxy.url}/openid/jwk`, { headers: { 'if-none-match': '"stale"' } });
      expect(stale.status).toBe(200);
      expect(await stale.text()).toBe(await first.text());
    });

    it('should give the discovery document its own ETag and Cache-Control, and 304 on a match', async () => {
      const first = await fetch(`${proxy.url}${DISCOVERY_PATH}`);
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      expect(etag).not.toBe((await fetch(`${proxy.url}/openid/jwk`)).headers.get('etag'));
      expect(first.headers.get('cache-control')).toBe('public, max-age=120');
      expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const cached = await fetch(`${proxy.url}${DISCOVERY_PATH}`, { headers: { 'if-none-match': etag } });
      expect(cached.status).toBe(304);
      expect(await cached.text()).toBe('');
      expect(cached.headers.get('etag')).toBe(etag);
    });
  });

  describe('during the grace period: old key retired, new key active', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startService(
        proxy,
        keysEnv({ ...oldKey, state: SigningKeyState.Retired }, { ...newKey, state: SigningKeyState.Active }),
      );
    });
    afterAll(() => t.close());

    it('should sign with the new key', async () => {
      tokenOfNewKey = await t.app.get(KeysService).sign({ sub: 'device-2', aud: AUDIENCE });
      expect(decodeProtectedHeader(tokenOfNewKey)).toMatchObject({ alg: 'ES256', kid: newKey.kid });
      expect((await verifyLikeKernel(proxy.url, tokenOfNewKey)).payload.sub).toBe('device-2');
    });

    it('should still verify tokens the old key signed before the rotation', async () => {
      const { payload, protectedHeader } = await verifyLikeKernel(proxy.url, tokenOfOldKey);
      expect(protectedHeader.kid).toBe(oldKey.kid);
      expect(payload.sub).toBe('device-1');
    });

    it('should list the new key first and keep the retired one', async () => {
      const { keys } = (await (await fetch(`${proxy.url}/openid/jwk`)).json()) as { keys: { kid: string }[] };
      expect(keys.map((key) => key.kid)).toEqual([newKey.kid, oldKey.kid]);
    });
  });

  describe('after the grace period: old key removed', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startService(proxy, keysEnv({ ...newKey, state: SigningKeyState.Active }));
    });
    afterAll(() => t.close());

    it('should verify tokens of the new key and no longer those of the old one', async () => {
      expect((await verifyLikeKernel(proxy.url, tokenOfNewKey)).protectedHeader.kid).toBe(newKey.kid);
      // The discovery document no longer allows RS256, and the key set no longer holds the key.
      await expect(verifyLikeKernel(proxy.url, tokenOfOldKey)).rejects.toThrow(errors.JOSEAlgNotAllowed);
      const anyAlgorithm = createRemoteJWKSet(new URL(`${proxy.url}/openid/jwk`));
      await expect(jwtVerify(tokenOfOldKey, anyAlgorithm)).rejects.toThrow(errors.JWKSNoMatchingKey);
    });

    it('should no longer announce RS256', async () => {
      expect((await fetchDiscovery(proxy.url)).id_token_signing_alg_values_supported).toEqual(['ES256']);
    });
  });
});

describe('OpenID endpoints with the development key', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_LIMIT: '1' });
  });
  afterAll(() => t.close());

  it('should warn at start that a development key signs', () => {
    const warning = t.logs.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.context === 'SigningKeys' && line.level === 'warn');
    expect(warning).toMatchObject({
      message: expect.stringContaining('Using a development OpenID signing key') as unknown,
      kid: t.app.get(KeysService).activeKid,
      where: 'memory',
    });
    expect(t.logs.text).not.toContain('"d":');
  });

  it('should serve one ES256 key, without rate limiting the key discovery routes', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const jwks = await t.request({ method: 'GET', url: '/openid/jwk' });
      expect(jwks.statusCode).toBe(200);
      expect(jwks.json()).toEqual({
        keys: [
          expect.objectContaining({ kty: 'EC', alg: 'ES256', crv: 'P-256', kid: t.app.get(KeysService).activeKid }),
        ],
      });
      const discovery = await t.request({ method: 'GET', url: DISCOVERY_PATH });
      expect(discovery.statusCode).toBe(200);
      expect(discovery.json().issuer).toBe('http://aura-auth.test/openid/issuer');
    }
  });

  it('should log JWKS requests by route', async () => {
    const before = t.logs.lines.length;
    await t.request({ method: 'GET', url: '/openid/jwk', headers: { 'if-none-match': '"x"' } });
    const completed = t.logs.lines
      .slice(before)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === 'request completed');
    expect(completed).toEqual([expect.objectContaining({ route: '/openid/jwk', status: 200 })]);
  });
});

describe("OpenID endpoints publishing aura-bot's public keys beside the service's own (a standard JWK Set)", () => {
  let proxy: ForwardingProxy;
  let t: TestApp;
  let botKey: SigningKeyEntry & { kid: string; jwk: JWK };
  let ownKey: SigningKeyEntry & { kid: string; jwk: JWK };
  let dir: string;

  beforeAll(async () => {
    proxy = await startForwardingProxy();
    botKey = await generateSigningKeyEntry('ES256', SigningKeyState.Active, 'aura-bot-2026');
    ownKey = await generateSigningKeyEntry('RS256', SigningKeyState.Active, 'aura-auth-2026');
    const { d: _botPrivate, ...botPublic } = botKey.jwk;
    // As `jose`, `step crypto` or a key vault would write it, mounted as a file.
    const set = {
      keys: [
        { ...botPublic, kid: botKey.kid, alg: 'ES256', use: 'sig' },
        { ...ownKey.jwk, kid: ownKey.kid, alg: 'RS256', use: 'sig' },
      ],
    };
    dir = await mkdtemp(join(tmpdir(), 'aura-jwks-'));
    await writeFile(join(dir, 'keys.json'), JSON.stringify(set), { mode: 0o600 });
    t = await startService(proxy, { OPENID_SIGNING_KEYS_FILE: join(dir, 'keys.json') });
  });
  afterAll(async () => {
    await t?.close();
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should publish both keys, public members only, and announce both algorithms', async () => {
    const jwks = await fetch(`${proxy.url}/openid/jwk`);
    const body = (await jwks.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys.map((key) => [key.kid, key.alg, key.use])).toEqual([
      [ownKey.kid, 'RS256', 'sig'],
      [botKey.kid, 'ES256', 'sig'],
    ]);
    for (const key of body.keys) {
      for (const member of PRIVATE_MEMBERS) {
        expect(key).not.toHaveProperty(member);
      }
    }
    expect((await fetchDiscovery(proxy.url)).id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256']);
  });

  it("should let a verifier check what aura-bot signs with its private key, through this service's discovery", async () => {
    const privateKey = await importJWK(botKey.jwk, 'ES256');
    const token = await new SignJWT({ sub: 'aura-bot' })
      .setProtectedHeader({ alg: 'ES256', kid: botKey.kid })
      .setIssuer(`${proxy.url}/openid/issuer`)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const { payload } = await verifyLikeKernel(proxy.url, token);
    expect(payload.sub).toBe('aura-bot');
  });

  it('should sign its own tokens only with its own private key', async () => {
    const keys = t.app.get(KeysService);
    expect(keys.activeKid).toBe(ownKey.kid);
    const token = await keys.sign({ aud: AUDIENCE });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: ownKey.kid });
    await verifyLikeKernel(proxy.url, token);
  });
});

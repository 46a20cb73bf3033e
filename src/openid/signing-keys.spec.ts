import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { ConfigError, loadConfig } from 'src/config/app-config';
import { KeysService } from 'src/openid/keys.service';
import { OpenIdService } from 'src/openid/openid.service';
import {
  generateSigningKeyEntry,
  parseSigningKeys,
  SIGNING_ALGORITHMS,
  SigningKeyConfigError,
  SigningKeyState,
  type SigningAlgorithm,
  type SigningKey,
} from 'src/openid/signing-keys';

/** Every private or symmetric member a JWK can carry (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const PUBLIC_MEMBERS: Record<string, string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };
const SOURCE = 'OPENID_SIGNING_KEYS';

/** One key pair per key type the algorithms need (RSA shared by RS* and PS*), generated once. */
const pairs: Record<string, { privateKey: KeyObject }> = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  'P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  'P-384': generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  'P-521': generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  Ed25519: generateKeyPairSync('ed25519'),
};
const PAIR_OF: Record<SigningAlgorithm, string> = {
  RS256: 'rsa',
  RS384: 'rsa',
  RS512: 'rsa',
  PS256: 'rsa',
  PS384: 'rsa',
  PS512: 'rsa',
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  EdDSA: 'Ed25519',
};

function privateJwk(alg: SigningAlgorithm): Record<string, unknown> {
  return pairs[PAIR_OF[alg]].privateKey.export({ format: 'jwk' });
}

function pkcs8(alg: SigningAlgorithm): string {
  return pairs[PAIR_OF[alg]].privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

function entry(alg: SigningAlgorithm, state = 'active', key: Record<string, unknown> = { jwk: privateJwk(alg) }) {
  return { alg, state, ...key };
}

async function parse(entries: unknown): Promise<SigningKey[]> {
  return parseSigningKeys(JSON.stringify(entries), SOURCE);
}

async function parseError(json: string): Promise<SigningKeyConfigError> {
  const error = await parseSigningKeys(json, SOURCE).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SigningKeyConfigError);
  expect(error).toBeInstanceOf(ConfigError);
  return error as SigningKeyConfigError;
}

/** The JWKS exactly as the service serves it. */
function servedJwks(keys: SigningKey[]): { body: string; keys: Record<string, unknown>[] } {
  const config = loadConfig({ PUBLIC_BASE_URL: 'https://aura.example.com' });
  const body = new OpenIdService(new KeysService(keys, config), config).jwks.respond(undefined).body!;
  return { body, keys: (JSON.parse(body) as { keys: Record<string, unknown>[] }).keys };
}

function expectOnlyPublicMembers(served: Record<string, unknown>): void {
  const kty = served.kty as string;
  expect(Object.keys(served).sort()).toEqual(['kty', 'kid', 'use', 'alg', ...PUBLIC_MEMBERS[kty]].sort());
  for (const member of PRIVATE_MEMBERS) {
    expect(served).not.toHaveProperty(member);
  }
}

describe('signing keys in the JWKS', () => {
  it.each(SIGNING_ALGORITHMS)('should serve only public members of a %s key given as a JWK', async (alg) => {
    const jwk = privateJwk(alg);
    // Everything an exported or hand-made JWK may carry beside the key itself, private members included.
    // (`oth` on an RSA key is a multi-prime key, refused: see below.)
    const decorated = {
      ...jwk,
      ...(jwk.kty === 'RSA' ? {} : { oth: [{ r: 'AQAB', d: 'AQAB', t: 'AQAB' }] }),
      k: 'c2VjcmV0',
      ext: true,
      key_ops: ['sign'],
    };
    const served = servedJwks(await parse([entry(alg, 'active', { jwk: decorated })]));
    expect(served.keys).toHaveLength(1);
    expectOnlyPublicMembers(served.keys[0]);
    expect(served.keys[0]).toMatchObject({ kty: jwk.kty, use: 'sig', alg });
    for (const member of PRIVATE_MEMBERS) {
      const secret = jwk[member];
      if (typeof secret === 'string') {
        expect(served.body).not.toContain(secret);
      }
    }
  });

  it.each(SIGNING_ALGORITHMS)('should serve only public members of a %s key given as a PEM', async (alg) => {
    const served = servedJwks(await parse([entry(alg, 'active', { pem: pkcs8(alg) })]));
    expectOnlyPublicMembers(served.keys[0]);
    expect(served.body).not.toContain(privateJwk(alg).d as string);
  });

  it('should read PKCS#1 RSA and SEC1 EC private keys', async () => {
    const rsa = pairs.rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
    const ec = pairs['P-256'].privateKey.export({ format: 'pem', type: 'sec1' }) as string;
    const keys = await parse([entry('RS256', 'active', { pem: rsa }), entry('ES256', 'published', { pem: ec })]);
    expect(keys.map((key) => key.publicJwk.kty)).toEqual(['RSA', 'EC']);
  });

  it('should never let a member other than the public parameters through, whatever the JWK carries', async () => {
    const algorithms = fc.constantFrom<SigningAlgorithm>('RS256', 'ES256', 'ES512', 'EdDSA');
    const extraMembers = fc.dictionary(
      fc.oneof(
        fc.constantFrom(...PRIVATE_MEMBERS, 'x5c', 'x5t', 'ext', 'key_ops', 'r', 't'),
        fc.string({ minLength: 1 }),
      ),
      fc.oneof(fc.string(), fc.integer(), fc.array(fc.string())),
    );
    const baseline = new Map<SigningAlgorithm, string>();
    for (const alg of ['RS256', 'ES256', 'ES512', 'EdDSA'] as const) {
      baseline.set(alg, servedJwks(await parse([entry(alg)])).body);
    }
    await fc.assert(
      fc.asyncProperty(algorithms, extraMembers, async (alg, extra) => {
        // The key's own members win: overwriting them would be another (or no) key.
        const jwk = { ...extra, ...privateJwk(alg) };
        if (jwk.kty === 'RSA') {
          delete jwk.oth;
        }
        delete jwk.alg;
        delete jwk.use;
        delete jwk.kid;
        expect(servedJwks(await parse([entry(alg, 'active', { jwk })])).body).toBe(baseline.get(alg));
      }),
      { numRuns: 60 },
    );
  });
});

describe('parseSigningKeys', () => {
  it('should refuse a multi-prime RSA key, naming the member and not its value', async () => {
    const jwk = { ...privateJwk('RS256'), oth: [{ r: 'AQAB', d: 'c2VjcmV0', t: 'AQAB' }] };
    const error = await parseError(JSON.stringify([entry('RS256', 'active', { jwk })]));
    expect(error.message).toContain('multi-prime RSA key ("oth")');
    expect(error.message).not.toContain('c2VjcmV0');
  });

  it('should name a key by its RFC 7638 thumbprint unless a kid is given', async () => {
    const jwk = privateJwk('ES256');
    const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
    const thumbprint = createHash('sha256').update(canonical).digest('base64url');
    const [derived] = await parse([entry('ES256')]);
    expect(derived.kid).toBe(thumbprint);
    const [named] = await parse([{ kid: 'aura-2026-01', ...entry('ES256') }]);
    expect(named.kid).toBe('aura-2026-01');
    const [fromJwk] = await parse([entry('ES256', 'active', { jwk: { ...jwk, kid: 'in-the-jwk' } })]);
    expect(fromJwk.kid).toBe('in-the-jwk');
  });

  it('should put the active key first and keep the others in configured order', async () => {
    const keys = await parse([
      { kid: 'old', ...entry('RS256', 'retired') },
      { kid: 'next', ...entry('ES384', 'published') },
      { kid: 'now', ...entry('ES256', 'active') },
    ]);
    expect(keys.map(({ kid, state }) => `${kid}:${state}`)).toEqual(['now:active', 'old:retired', 'next:published']);
  });

  it('should accept keys the CLI generates for every algorithm', async () => {
    for (const alg of SIGNING_ALGORITHMS) {
      const generated = await generateSigningKeyEntry(alg, SigningKeyState.Active);
      const [key] = await parse([generated]);
      expect({ alg, kid: key.kid }).toEqual({ alg, kid: generated.kid });
    }
  });

  it('should refuse text that is not JSON without quoting it', async () => {
    const secret = 'MC4CAQAwBQYDK2VwBCIEI';
    const error = await parseError(`[{"pem": ${secret}}]`);
    expect(error.message).toBe('OPENID_SIGNING_KEYS: is not valid JSON');
  });

  it.each([
    ['an object', '{}'],
    ['an empty array', '[]'],
  ])('should refuse %s', async (_name, json) => {
    expect((await parseError(json)).message).toContain('must be a non-empty JSON array');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown member', { ...entry('ES256'), status: 'active' }, 'unknown member(s) "status"'],
    ['a bare JWK', { ...privateJwk('ES256'), alg: 'ES256' }, 'put the private JWK under "jwk"'],
    [
      'an unsupported alg',
      entry('ES256', 'active', { alg: 'HS256', jwk: privateJwk('ES256') }),
      '"alg" must be one of',
    ],
    ['an unknown state', entry('ES256', 'signing'), '"state" must be one of published, active, retired'],
    ['neither jwk nor pem', { alg: 'ES256', state: 'active' }, 'needs exactly one of "jwk"'],
    [
      'both jwk and pem',
      entry('ES256', 'active', { jwk: privateJwk('ES256'), pem: pkcs8('ES256') }),
      'needs exactly one',
    ],
    [
      'an active public JWK',
      entry('ES256', 'active', { jwk: { ...privateJwk('ES256'), d: undefined } }),
      'a public key cannot be "active"',
    ],
    ['a symmetric JWK', entry('ES256', 'active', { jwk: { kty: 'oct', k: 'c2VjcmV0' } }), 'symmetric key'],
    [
      'an RSA key for ES256',
      entry('ES256', 'active', { jwk: privateJwk('RS256') }),
      'alg ES256 needs an EC P-256 key, got an RSA key of 2048 bits',
    ],
    [
      'a P-384 key for ES256',
      entry('ES256', 'active', { jwk: privateJwk('ES384') }),
      'needs an EC P-256 key, got an EC key on secp384r1',
    ],
    ['an EC key for RS256', entry('RS256', 'active', { pem: pkcs8('ES256') }), 'alg RS256 needs an RSA key'],
    ['an EC key for EdDSA', entry('EdDSA', 'active', { pem: pkcs8('ES256') }), 'alg EdDSA needs an Ed25519 key'],
    [
      'a JWK of another alg',
      entry('ES256', 'active', { jwk: { ...privateJwk('ES256'), alg: 'ES384' } }),
      'says alg "ES384"',
    ],
    ['a JWK for encryption', entry('ES256', 'active', { jwk: { ...privateJwk('ES256'), use: 'enc' } }), 'another use'],
    [
      'a kid unlike the JWK kid',
      { kid: 'a', ...entry('ES256', 'active', { jwk: { ...privateJwk('ES256'), kid: 'b' } }) },
      'differ',
    ],
    ['a kid with spaces', { kid: 'my key', ...entry('ES256') }, '"kid" must be 1-128'],
    [
      'a broken public PEM',
      entry('ES256', 'published', { pem: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----' }),
      'could not be read as a PEM public key',
    ],
    ['a PEM without a key', entry('ES256', 'published', { pem: 'hello' }), 'holds no key'],
    [
      'a broken PEM',
      entry('ES256', 'active', { pem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }),
      'could not be read',
    ],
  ])('should refuse %s and say why', async (_name, bad, reason) => {
    const error = await parseError(JSON.stringify([entry('RS256', 'published'), bad]));
    expect(error.message).toContain('OPENID_SIGNING_KEYS: invalid signing keys');
    expect(error.message).toContain(`entry 1`);
    expect(error.message).toContain(reason);
  });

  it('should refuse an RSA key shorter than 2048 bits', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    const error = await parseError(JSON.stringify([entry('RS256', 'active', { jwk: small })]));
    expect(error.message).toContain('RSA keys need at least 2048 bits, got 1024');
  });

  it('should refuse an encrypted PEM', async () => {
    const encrypted = pairs['P-256'].privateKey.export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'pass',
    }) as string;
    const error = await parseError(JSON.stringify([entry('ES256', 'active', { pem: encrypted })]));
    expect(error.message).toContain('"pem" is encrypted');
  });

  it('should publish public-only keys (JWK or PEM) beside its own, and sign with none of them', async () => {
    const publicJwk = { ...privateJwk('ES384') };
    delete publicJwk.d;
    const publicPem = createPublicKey(pairs[PAIR_OF.EdDSA].privateKey).export({ format: 'pem', type: 'spki' });
    const keys = await parse([
      { kid: 'bot-1', ...entry('ES384', 'published', { jwk: publicJwk }) },
      { kid: 'bot-0', ...entry('EdDSA', 'retired', { pem: publicPem }) },
      { kid: 'own', ...entry('ES256', 'active') },
    ]);
    expect(keys.map((key) => [key.kid, key.state, key.privateKey === undefined])).toEqual([
      ['own', 'active', false],
      ['bot-1', 'published', true],
      ['bot-0', 'retired', true],
    ]);
    const served = servedJwks(keys).keys;
    expect(served.map((key) => key.kid)).toEqual(['own', 'bot-1', 'bot-0']);
    served.forEach(expectOnlyPublicMembers);
  });

  it('should accept a set of public keys only (nothing to sign with here)', async () => {
    const publicJwk = { ...privateJwk('ES256') };
    delete publicJwk.d;
    const keys = await parse([{ kid: 'bot', ...entry('ES256', 'published', { jwk: publicJwk }) }]);
    expect(keys.map((key) => key.kid)).toEqual(['bot']);
  });

  it('should read a standard RFC 7517 JWK Set: the first private key signs, every other key is published', async () => {
    const botJwk = { ...privateJwk('ES384') };
    delete botJwk.d;
    const set = {
      keys: [
        { ...botJwk, kid: 'bot', alg: 'ES384', use: 'sig' },
        { ...privateJwk('ES256'), kid: 'own-now', alg: 'ES256', use: 'sig' },
        { ...privateJwk('RS256'), kid: 'own-old', alg: 'RS256' },
        { ...privateJwk('EdDSA'), alg: 'EdDSA', key_ops: ['sign'] },
      ],
    };
    const keys = await parseSigningKeys(JSON.stringify(set), SOURCE);
    expect(keys.map((key) => [key.kid, key.state, key.privateKey === undefined])).toEqual([
      ['own-now', 'active', false],
      ['bot', 'published', true],
      ['own-old', 'published', false],
      [expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), 'published', false],
    ]);
    servedJwks(keys).keys.forEach(expectOnlyPublicMembers);
  });

  it.each([
    ['a member without alg', { keys: [{ ...privateJwk('ES256'), kid: 'x' }] }, 'needs "alg"'],
    ['a member for encryption', { keys: [{ ...privateJwk('ES256'), alg: 'ES256', use: 'enc' }] }, 'another use'],
    ['an empty set', { keys: [] }, 'non-empty'],
  ])('should refuse a JWK Set with %s', async (_name, set, reason) => {
    const error = await parseError(JSON.stringify(set));
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain(String(privateJwk('ES256').d));
  });

  it('should refuse a set without an active key', async () => {
    const error = await parseError(JSON.stringify([entry('ES256', 'published'), entry('RS256', 'retired')]));
    expect(error.message).toContain('no key is active: exactly one entry needs "state": "active"');
  });

  it('should refuse two active keys and name them', async () => {
    const error = await parseError(
      JSON.stringify([
        { kid: 'one', ...entry('ES256') },
        { kid: 'two', ...entry('RS256') },
      ]),
    );
    expect(error.message).toContain('2 keys are active (one, two): exactly one may sign');
  });

  it('should refuse a kid used twice and a key listed twice', async () => {
    const error = await parseError(
      JSON.stringify([
        { kid: 'same', ...entry('ES256') },
        { kid: 'same', ...entry('RS256', 'retired') },
        { kid: 'copy', ...entry('ES256', 'published') },
      ]),
    );
    expect(error.message).toContain('kid same is used by more than one entry');
    expect(error.message).toContain('kid copy and kid same are the same key');
  });

  it('should list every bad entry at once, never with key material', async () => {
    const jwk = privateJwk('ES256');
    const error = await parseError(
      JSON.stringify([
        { kid: 'first', ...entry('ES384', 'active', { jwk }) },
        entry('ES256', 'nope', { jwk }),
        entry('ES256', 'active', { jwk: { ...jwk, x: 'not-a-point' } }),
      ]),
    );
    expect(error.message).toContain('entry 0 (kid first): alg ES384 needs an EC P-384 key');
    expect(error.message).toContain('entry 1: "state" must be one of');
    expect(error.message).toContain('entry 2: "jwk" is not a usable key');
    for (const value of [jwk.d, jwk.x, jwk.y]) {
      expect(error.message).not.toContain(value);
    }
  });
});

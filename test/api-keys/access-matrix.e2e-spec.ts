import { generateApiKey, hashApiKey } from 'src/api-keys/api-key-format';
import { ApiKeysService } from 'src/api-keys/api-keys.service';
import { Tier } from 'src/auth/tier';
import { registeredRoutes, sampleUrl } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';

type Credential = 'none' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'other environment' | Tier;

const INVALID: Credential[] = ['malformed', 'unknown', 'revoked', 'expired', 'other environment'];

/** Every route × every kind of credential → the guard's verdict. Generated from the routes, not hand-picked. */
describe('access matrix', () => {
  let t: TestApp;
  const keys = new Map<Credential, string>();

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_LIMIT: '100000' });
    for (const tier of Object.values(Tier)) {
      keys.set(tier, (await t.createKey(tier)).key);
    }
    keys.set('malformed', 'not-an-api-key');
    keys.set('unknown', generateApiKey('test').key);
    const revoked = await t.createKey(Tier.Internal);
    await t.app.get(ApiKeysService).revoke(revoked.id);
    keys.set('revoked', revoked.key);
    const expired = await t.createKey(Tier.Internal);
    await t.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
    keys.set('expired', expired.key);
    // A real row, but of another environment: refused on its tag alone.
    const foreign = generateApiKey('pro');
    await t.query(
      `INSERT INTO api_keys (id, name, prefix, secret_hash, tier) VALUES (gen_random_uuid(), 'foreign', $1, $2, 'internal')`,
      [`aak_pro_${foreign.publicId}`, hashApiKey(foreign.key)],
    );
    keys.set('other environment', foreign.key);
  });
  afterAll(() => t.close());

  function call(method: string, url: string, credential: Credential) {
    const key = keys.get(credential);
    return t.request({
      method: method,
      url,
      headers:
        key === undefined ? {} : credential === Tier.Kernel ? { authorization: `APIKEY ${key}` } : { 'x-api-key': key },
    });
  }

  it('should admit, refuse or challenge every route as it declares', async () => {
    const verdicts: string[] = [];
    for (const route of registeredRoutes(t)) {
      const url = sampleUrl(route.path);
      const declaration = route.declaration!;
      const tiers = declaration.kind === 'none' ? 'all' : declaration.tiers;
      for (const credential of ['none', ...INVALID, ...Object.values(Tier)] as Credential[]) {
        const response = await call(route.method, url, credential);
        const status = response.statusCode;
        let expected: string;
        if (tiers === 'all') {
          expected = 'passes';
        } else if (tiers.length === 0) {
          // A route that admits no API key (a browser session's, a GVP device's) ignores every key.
          expected = 'refused: not its credential';
        } else if (credential === 'none') {
          expected = '401 api_key_missing';
        } else if (INVALID.includes(credential)) {
          expected = '401 api_key_invalid';
        } else {
          expected =
            tiers.includes(credential as Tier) || tiers.includes(Tier.Public) ? 'passes' : '403 api_key_tier_forbidden';
        }
        // The guard's verdicts on keys are the api_key_* codes; a keyless route's own 401/403 (the browser session
        // API refusing a request without a session or CSRF token) is the route at work, past the guard.
        const code = (status === 401 || status === 403 ? response.json().code : undefined) as unknown;
        const actual =
          typeof code === 'string' && code.startsWith('api_key_')
            ? `${status} ${code}`
            : tiers !== 'all' && tiers.length === 0 && status >= 400
              ? 'refused: not its credential'
              : 'passes';
        verdicts.push(`${route.method} ${route.path} [${credential}] → ${actual}`);
        expect(`${route.method} ${route.path} [${credential}] → ${actual}`).toBe(
          `${route.method} ${route.path} [${credential}] → ${expected}`,
        );
        if (actual.startsWith('401')) {
          expect(response.headers['www-authenticate']).toBe('APIKEY realm="aura-authentication-api"');
        }
      }
    }
    expect(verdicts.length).toBeGreaterThan(0);
  });

  it('should answer every invalid key with the same body, revealing nothing about the key', async () => {
    const [route] = registeredRoutes(t).filter(
      (candidate) => candidate.declaration?.kind === 'credentials' && candidate.declaration.tiers.length > 0,
    );
    const bodies = new Set<string>();
    for (const credential of INVALID) {
      const response = await call(route.method, sampleUrl(route.path), credential);
      const { requestId: _requestId, instance: _instance, ...body } = response.json();
      bodies.add(JSON.stringify(body));
    }
    expect([...bodies]).toEqual([
      JSON.stringify({
        type: 'urn:aura-authentication-api:problem:api_key_invalid',
        title: 'Unauthorized',
        status: 401,
        detail: 'The API key is not valid.',
        code: 'api_key_invalid',
      }),
    ]);
  });

  it('should count authentication failures by reason', async () => {
    const metrics = (await t.scrape()).body;
    for (const reason of [
      'missing',
      'malformed',
      'unknown',
      'revoked',
      'expired',
      'foreign_environment',
      'tier_forbidden',
    ]) {
      expect(metrics).toMatch(new RegExp(`auth_failures_total\\{reason="${reason}"\\} [1-9]`));
    }
  });
});

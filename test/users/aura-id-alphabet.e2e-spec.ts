import { Tier } from 'src/auth/tier';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';

/** Every printable ASCII character; an auraId may hold any of them but these four (docs/users.md). */
const PRINTABLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
const FORBIDDEN = new Set(['/', '?', '#', '%']);

/**
 * auraIds as external services make them (WhatsApp: `+`, `:`, `@`, `=`…): one rule, checked identically on
 * every route and payload that takes an auraId, and values that survive Fastify's routing unchanged.
 */
describe('auraId alphabet', () => {
  let t: TestApp;
  let bot: Record<string, string>;
  let kernel: Record<string, string>;
  let cipher: CallbackCipher;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_LIMIT: '1000000' });
    bot = apiKeyHeader((await t.createKey(Tier.Internal)).key);
    kernel = apiKeyHeader((await t.createKey(Tier.Kernel)).key);
    cipher = new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
  });
  afterAll(() => t.close());

  /** Whether a route refused the auraId itself (400 naming `auraId`), as opposed to answering about the user. */
  async function refusesAuraId(request: Parameters<TestApp['request']>[0]): Promise<boolean> {
    const response = await t.request(request);
    expect(response.statusCode).toBeLessThan(500);
    if (response.statusCode !== 400) {
      return false;
    }
    const { errors = [] } = response.json<{ errors?: { field: string }[] }>();
    return errors.some((error) => error.field === 'auraId');
  }

  const routes: Record<string, (encoded: string) => Parameters<TestApp['request']>[0]> = {
    'GET /users/aura-id/{auraId}': (id) => ({
      method: 'GET',
      url: `/users/aura-id/${id}?channel=whatsapp-es`,
      headers: bot,
    }),
    'POST /users/{auraId}': (id) => ({
      method: 'POST',
      url: `/users/${id}`,
      headers: bot,
      payload: { channel: 'whatsapp-es', authenticationContext: { userId: 'u-a', authorizationId: `a-${id}` } },
    }),
    'GET /users/{auraId}': (id) => ({ method: 'GET', url: `/users/${id}`, headers: bot }),
    'DELETE /users/{auraId}': (id) => ({ method: 'DELETE', url: `/users/${id}`, headers: kernel }),
  };

  it.each(Object.keys(routes))('should apply the one auraId rule to every printable character on %s', async (name) => {
    const refused: string[] = [];
    for (const character of PRINTABLE) {
      const auraId = `wa${character}1`;
      if (await refusesAuraId(routes[name](encodeURIComponent(auraId)))) {
        refused.push(character);
      }
    }
    expect(refused.sort()).toEqual([...FORBIDDEN].sort());
  });

  it.each([
    ['a space', 'wa 1'],
    ['a tab', 'wa\t1'],
    ['a non-ASCII letter', 'wa-é'],
    ['129 characters', 'x'.repeat(129)],
    ['a path segment of another route', 'aura-id-global'],
  ])('should refuse an auraId with %s on every route', async (_case, auraId) => {
    for (const route of Object.values(routes)) {
      expect(await refusesAuraId(route(encodeURIComponent(auraId)))).toBe(true);
    }
  });

  it('should accept 128 characters of the whole alphabet', async () => {
    const allowed = PRINTABLE.filter((character) => !FORBIDDEN.has(character)).join('');
    const auraId = (allowed + allowed).slice(0, 128);
    const created = await t.request(routes['GET /users/aura-id/{auraId}'](encodeURIComponent(auraId)));
    expect(created.statusCode).toBe(201);
    expect(created.json().auraId).toBe(auraId);
    expect(await t.query('SELECT aura_id FROM aura_users WHERE aura_id = $1', [auraId])).toHaveLength(1);
  });

  it('should round-trip URL-encoded + : @ = through routing, encoded or not', async () => {
    const auraId = 'wa+34600111222:x@y=z';
    const encoded = encodeURIComponent(auraId);
    expect(encoded).toBe('wa%2B34600111222%3Ax%40y%3Dz');
    const login = await t.request({
      method: 'POST',
      url: `/users/${encoded}`,
      headers: bot,
      payload: { authenticationContext: { userId: 'u-plus', authorizationId: 'a-plus' } },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json().auraId).toBe(auraId);
    for (const url of [`/users/${encoded}`, `/users/${auraId}`]) {
      const seen = await t.request({ method: 'GET', url, headers: bot });
      expect(seen.statusCode).toBe(200);
      expect(seen.json().auraId).toBe(auraId);
    }
    expect(await t.query('SELECT aura_id FROM aura_users WHERE aura_id = $1', [auraId])).toHaveLength(1);
    const logout = await t.request({ method: 'DELETE', url: `/users/${encoded}`, headers: bot });
    expect(logout.statusCode).toBe(204);
    expect(await t.query('SELECT aura_id FROM aura_users WHERE aura_id = $1', [auraId])).toHaveLength(0);
  });

  it("should apply the same rule to a Kernel callback's auraId", async () => {
    const call = (auraId: string) =>
      t.request({
        method: 'GET',
        url: `/users/auraid/integrated?data=${encodeURIComponent(
          sealPayload(cipher, CallbackPurpose.Login, {
            channel: 'web',
            userId: `u-${auraId.length}-${Math.random()}`,
            authorizationId: `a-${Math.random()}`,
            auraId,
          }),
        )}`,
      });
    const accepted = await call('web:+34600=@1');
    expect(accepted.statusCode).toBe(201);
    expect(accepted.json().auraId).toBe('web:+34600=@1');
    // `.` and `..` cannot be addressed in a URL path (parsers collapse them, even as %2E%2E): refused too.
    for (const auraId of ['web/1', 'web 1', 'web%1', '..', 'aura-id']) {
      const refused = await call(auraId);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().code).toBe('callback_payload_invalid');
    }
  });
});

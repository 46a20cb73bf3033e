import type { InjectOptions } from 'light-my-request';
import { Tier } from 'src/auth/tier';
import { databaseFingerprint } from '../support/database-state';
import type { RouteAccess } from 'src/auth/passport/route-access';
import { registeredRoutes } from '../support/routes';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';

/** Which channel, if any, a key is bound to, relative to the victim's records (channel `web`). */
type Binding = 'unbound' | 'own channel' | 'foreign channel';
const BINDINGS: Binding[] = ['unbound', 'own channel', 'foreign channel'];
const CHANNEL_OF: Record<Binding, string | undefined> = {
  unbound: undefined,
  'own channel': 'web',
  'foreign channel': 'tv',
};

const VICTIM = {
  auraId: 'victim-wa-1',
  phoneNumber: '+34699000111',
  userId: 'u-victim',
  authorizationId: 'a-victim',
  auraIdGlobal: '7d0c4b5e-1f2a-4c3d-8e9f-0a1b2c3d4e5f',
};

/**
 * How to aim each route at the victim's records. `object`: the route acts on user records, so a key bound
 * to another channel must be refused (403 api_key_channel_forbidden) and write nothing — or, where a read or
 * the idempotent DELETE names only the victim's auraId, get the answer it would get if the record did not
 * exist (`asIfAbsent`), still writing nothing, so that it cannot learn the record exists; `every channel`: it
 * acts on all channels at once, so any bound key is refused; `none`: no user record is involved and the
 * binding does not matter. A key with no channel must name one (`channel=web`); a bound key relies on its own.
 */
const SCENARIOS: Record<
  string,
  { scope: 'object' | 'every channel' | 'none'; asIfAbsent?: number; request: (binding: Binding) => InjectOptions }
> = {
  'GET /users/aura-id': {
    scope: 'object',
    request: () => ({
      method: 'GET',
      url: `/users/aura-id?channel=web&userId=${VICTIM.userId}&authorizationId=${VICTIM.authorizationId}`,
    }),
  },
  'GET /users/aura-id-global/:aura_id_global': {
    scope: 'object',
    request: () => ({ method: 'GET', url: `/users/aura-id-global/${VICTIM.auraIdGlobal}?channel=web` }),
  },
  // Writes of another channel's auraId are refused (issue 28.5): a made-up 201 was contradicted by the next read.
  'GET /users/aura-id/:auraId': {
    scope: 'object',
    request: (binding) => ({
      method: 'GET',
      url: `/users/aura-id/${VICTIM.auraId}${binding === 'unbound' ? '?channel=web' : ''}`,
    }),
  },
  'POST /users/:auraId': {
    scope: 'object',
    request: (binding) => ({
      method: 'POST',
      url: `/users/${VICTIM.auraId}`,
      payload: {
        ...(binding === 'unbound' ? { channel: 'web' } : {}),
        authenticationContext: { userId: 'u-victim-otp', authorizationId: 'a-victim-otp' },
      },
    }),
  },
  'GET /users/:auraId': {
    scope: 'object',
    asIfAbsent: 404,
    request: () => ({ method: 'GET', url: `/users/${VICTIM.auraId}` }),
  },
  'DELETE /users/:auraId': {
    scope: 'object',
    asIfAbsent: 204,
    request: () => ({ method: 'DELETE', url: `/users/${VICTIM.auraId}` }),
  },
  'DELETE /admin/users/phone-numbers/:phone_number': {
    scope: 'every channel',
    request: () => ({ method: 'DELETE', url: `/admin/users/phone-numbers/${encodeURIComponent(VICTIM.phoneNumber)}` }),
  },
  'GET /config': { scope: 'none', request: () => ({ method: 'GET', url: '/config' }) },
  'GET /ping': { scope: 'none', request: () => ({ method: 'GET', url: '/ping' }) },
  'GET /metrics': { scope: 'none', request: () => ({ method: 'GET', url: '/metrics' }) },
  'GET /token': { scope: 'none', request: () => ({ method: 'GET', url: '/token' }) },
  'GET /token/wss': { scope: 'none', request: () => ({ method: 'GET', url: '/token/wss' }) },
  // A device signs in within the key's own channel (links are per channel): no record of another channel is reached.
};

/**
 * Object-level authorisation, generated: every route that takes a key × every tier it admits × a key with no
 * channel, bound to the victim's channel, or bound to another one. (Which tiers a route admits at all is
 * the access matrix's job, next door.)
 */
describe('channel-bound keys on every route (object-level authorisation)', () => {
  let t: TestApp;
  let setupKey: string;
  const keys = new Map<string, string>();

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_LIMIT: '100000' });
    for (const tier of Object.values(Tier)) {
      for (const binding of BINDINGS) {
        keys.set(`${tier} ${binding}`, (await t.createKey(tier, { channel: CHANNEL_OF[binding] })).key);
      }
    }
    setupKey = (await t.createKey(Tier.Internal)).key;
    const kernel = (await t.createKey(Tier.Kernel)).key;
    const session = await t.request({
      method: 'GET',
      url: `/users/aura-id?channel=web&userId=${VICTIM.userId}&authorizationId=${VICTIM.authorizationId}&auraIdGlobal=${VICTIM.auraIdGlobal}`,
      headers: apiKeyHeader(kernel),
    });
    expect(session.statusCode).toBe(201);
  });
  afterAll(() => t.close());

  /** The victim's WhatsApp record in channel `web`, back in place after a request that may have removed it. */
  async function restoreVictim(): Promise<void> {
    const response = await t.request({
      method: 'GET',
      url: `/users/aura-id/${VICTIM.auraId}?channel=web&phoneNumber=${encodeURIComponent(VICTIM.phoneNumber)}`,
      headers: apiKeyHeader(setupKey),
    });
    expect([200, 201]).toContain(response.statusCode);
  }

  /** The routes that admit an API key, and their tiers. */
  const tiersOf = (route: RouteAccess): Tier[] =>
    route.declaration?.kind === 'credentials' ? route.declaration.tiers : [];
  const keyRoutes = () => registeredRoutes(t).filter((route) => tiersOf(route).length > 0);

  it('should have a scenario for every route that takes an API key', () => {
    const missing = keyRoutes()
      .map((route) => `${route.method} ${route.path}`)
      .filter((route) => SCENARIOS[route] === undefined);
    expect(missing).toEqual([]);
  });

  it('should refuse a key bound to another channel on every user record, and write nothing', async () => {
    const verdicts: string[] = [];
    const expected: string[] = [];
    for (const { route, tiers: admitted } of keyRoutes().map((route) => ({ route, tiers: tiersOf(route) }))) {
      const name = `${route.method} ${route.path}`;
      const scenario = SCENARIOS[name];
      const tiers = admitted.includes(Tier.Public) ? Object.values(Tier) : admitted;
      for (const tier of tiers) {
        for (const binding of BINDINGS) {
          await restoreVictim();
          const refused =
            (scenario.scope === 'object' && binding === 'foreign channel') ||
            (scenario.scope === 'every channel' && binding !== 'unbound');
          const before = refused ? await databaseFingerprint(t) : undefined;
          const request = scenario.request(binding);
          const key = keys.get(`${tier} ${binding}`)!;
          const response = await t.request({
            ...request,
            headers: tier === Tier.Kernel ? { authorization: `APIKEY ${key}` } : apiKeyHeader(key),
          });
          const hidden = refused && scenario.asIfAbsent !== undefined;
          const outcome =
            response.statusCode === 401 || response.statusCode === 403
              ? `${response.statusCode} ${response.json().code}`
              : hidden
                ? `${response.statusCode} as if absent`
                : 'passes';
          verdicts.push(`${name} [${tier}, ${binding}] → ${outcome}`);
          expected.push(
            `${name} [${tier}, ${binding}] → ${
              hidden ? `${scenario.asIfAbsent} as if absent` : refused ? '403 api_key_channel_forbidden' : 'passes'
            }`,
          );
          if (hidden && response.statusCode === 404) {
            expect(response.json().code).toBe('user_not_found');
          }
          if (before !== undefined) {
            expect({ case: `${name} [${tier}, ${binding}]`, database: await databaseFingerprint(t) }).toEqual({
              case: `${name} [${tier}, ${binding}]`,
              database: before,
            });
          }
        }
      }
    }
    expect(verdicts).toEqual(expected);
    console.log(`channel-bound keys: ${verdicts.length} route × tier × binding cases`);
  });

  it('should count each refusal as a channel_forbidden authentication failure', async () => {
    const metrics = (await t.scrape()).body;
    expect(metrics).toMatch(/auth_failures_total\{reason="channel_forbidden"\} [1-9]/);
  });
});

import type { InjectOptions, Response } from 'light-my-request';
import { Tier } from 'src/auth/tier';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { PersonalDataCipher } from 'src/users/personal-data';
import { TEST_DATABASE_URL } from '../support/postgres';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { UsersSettings } from 'src/users/users.settings';

/**
 * One person, many doors at once: Kernel get-or-create, Kernel login callbacks, the WhatsApp get-or-create and
 * GDPR erasures of the person's number, all racing. On PostgreSQL the requests really interleave (PGlite runs
 * one statement at a time, so there the race is small and only checks the bookkeeping).
 */
const ON_POSTGRES = TEST_DATABASE_URL !== undefined;
const ROUNDS = ON_POSTGRES ? 2 : 1;
const PER_ROUND = Number(process.env.RACE_REQUESTS ?? (ON_POSTGRES ? 300 : 60));

const PHONE = '+34611223344';
const KERNEL_SESSION = { channel: 'web', userId: 'u-race', authorizationId: 'a-race' };
const TV_SESSION = { channel: 'living-tv', userId: 'u-race', authorizationId: 'a-race-tv' };
const WHATSAPP_AURA_ID = 'wa-race-34611223344';

type Kind = 'get-or-create' | 'callback login' | 'whatsapp get-or-create' | 'erasure';

interface Outcome {
  kind: Kind;
  response: Response;
}

/** A deterministic shuffle (fixed seed): the same interleaving of kinds on every run. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

describe(`get-or-create, callback login and erasure racing on one person (${ON_POSTGRES ? 'PostgreSQL' : 'PGlite'})`, () => {
  let t: TestApp;
  let cipher: CallbackCipher;
  let kernel: Record<string, string>;
  let internal: Record<string, string>;
  /** The person's records, found as the erasure finds them: by the blind index of the number. */
  const phoneIndex = () => new PersonalDataCipher(t.config.get(UsersSettings)).phoneIndex(PHONE);

  beforeAll(async () => {
    // Requests queue for one of ten connections: a long wait for one is the load, not a fault, here.
    t = await createTestApp({
      RATE_LIMIT_LIMIT: '1000000',
      DATABASE_POOL_MAX: '10',
      DATABASE_CONNECT_TIMEOUT_MS: '15000',
    });
    cipher = new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
    kernel = { authorization: `APIKEY ${(await t.createKey(Tier.Kernel)).key}` };
    internal = apiKeyHeader((await t.createKey(Tier.Internal)).key);
  });
  afterAll(() => t.close());

  function requestOf(kind: Kind, index: number): InjectOptions {
    switch (kind) {
      case 'get-or-create':
        return {
          method: 'GET',
          url: `/users/aura-id?channel=web&userId=${KERNEL_SESSION.userId}&authorizationId=${KERNEL_SESSION.authorizationId}&phoneNumber=${encodeURIComponent(PHONE)}`,
          headers: kernel,
        };
      case 'callback login': {
        const session = index % 3 === 0 ? TV_SESSION : KERNEL_SESSION;
        const data = sealPayload(cipher, CallbackPurpose.Login, { ...session, phoneNumber: PHONE });
        return { method: 'GET', url: `/users/auraid/integrated?data=${encodeURIComponent(data)}` };
      }
      case 'whatsapp get-or-create':
        return {
          method: 'GET',
          url: `/users/aura-id/${WHATSAPP_AURA_ID}?channel=whatsapp-es&phoneNumber=${encodeURIComponent(PHONE)}`,
          headers: internal,
        };
      case 'erasure':
        return { method: 'DELETE', url: `/admin/users/phone-numbers/${encodeURIComponent(PHONE)}`, headers: kernel };
    }
  }

  async function race(round: number): Promise<Outcome[]> {
    const kinds: Kind[] = Array.from({ length: PER_ROUND }, (_, i) =>
      i % 10 < 4 ? 'get-or-create' : i % 10 < 7 ? 'callback login' : i % 10 < 9 ? 'whatsapp get-or-create' : 'erasure',
    );
    return Promise.all(
      shuffle(kinds, 7 + round).map(async (kind, index) => ({
        kind,
        response: await t.request(requestOf(kind, index)),
      })),
    );
  }

  const count = async (sql: string, parameters: unknown[] = []) =>
    (await t.query<{ count: number }>(sql, parameters))[0].count;

  it('should create no duplicates, lose no erasure and write nothing half, under hundreds of concurrent requests', async () => {
    const outcomes: Outcome[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      outcomes.push(...(await race(round)));
    }
    const statuses = (kind: Kind) => outcomes.filter((o) => o.kind === kind).map((o) => o.response.statusCode);
    const spread = Object.fromEntries(
      (['get-or-create', 'callback login', 'whatsapp get-or-create', 'erasure'] as Kind[]).map((kind) => [
        kind,
        statuses(kind).reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {}),
      ]),
    );

    // Every request answered, none with a server error: a lost race is a 200, never a 500.
    expect(spread).toEqual({
      'get-or-create': expect.any(Object),
      'callback login': expect.any(Object),
      'whatsapp get-or-create': expect.any(Object),
      erasure: { 200: expect.any(Number) },
    });
    for (const kind of ['get-or-create', 'callback login', 'whatsapp get-or-create'] as Kind[]) {
      expect({ kind, statuses: [...new Set(statuses(kind))].filter((s) => s !== 200 && s !== 201) }).toEqual({
        kind,
        statuses: [],
      });
    }

    // No duplicates: one record per Kernel session and per auraId, whatever interleaving happened.
    expect(
      await t.query(
        `SELECT channel, user_id, authorization_id FROM aura_users WHERE authorization_id IS NOT NULL
         GROUP BY channel, user_id, authorization_id HAVING count(*) > 1`,
      ),
    ).toEqual([]);
    expect(
      await count(`SELECT count(*)::int AS count FROM aura_users WHERE aura_id = $1`, [WHATSAPP_AURA_ID]),
    ).toBeLessThanOrEqual(1);

    // Conservation: every record created (a 201) was either erased (counted in an erasure's answer) or is still there.
    const created = outcomes.filter((o) => o.kind !== 'erasure' && o.response.statusCode === 201);
    const erased = outcomes
      .filter((o) => o.kind === 'erasure')
      .reduce((sum, o) => sum + o.response.json<{ deleted: number }>().deleted, 0);
    const remaining = await count(`SELECT count(*)::int AS count FROM aura_users WHERE phone_number_index = $1`, [
      phoneIndex(),
    ]);
    expect({ created: created.length, erasedPlusRemaining: erased + remaining }).toEqual({
      created: created.length,
      erasedPlusRemaining: created.length,
    });

    // A 200 returns a record some 201 created: nothing appears from nowhere.
    const createdIds = new Set(created.map((o) => o.response.json<{ auraId: string }>().auraId));
    const found = outcomes.filter((o) => o.kind !== 'erasure' && o.response.statusCode === 200);
    expect(found.map((o) => o.response.json<{ auraId: string }>().auraId).filter((id) => !createdIds.has(id))).toEqual(
      [],
    );

    // Survivors are whole: every record still there is complete, as its creator wrote it.
    const survivors = await t.query<Record<string, unknown>>(
      `SELECT aura_id, channel, user_id, authorization_id, user_type, phone_number FROM aura_users WHERE phone_number_index = $1`,
      [phoneIndex()],
    );
    for (const survivor of survivors) {
      expect(survivor).toEqual(
        survivor.aura_id === WHATSAPP_AURA_ID
          ? expect.objectContaining({ channel: 'whatsapp-es', user_type: 'identifiable', authorization_id: null })
          : expect.objectContaining({
              user_id: 'u-race',
              user_type: 'authenticated',
              authorization_id: expect.stringMatching(/^a-race/),
            }),
      );
    }

    // The audit trail matches the answers, one row per effect: nothing committed without its audit, nor the reverse.
    const erasures = outcomes.filter((o) => o.kind === 'erasure');
    const audits = await t.query<{ action: string; rows: number; records: number; created: number }>(
      `SELECT action, count(*)::int AS rows, coalesce(sum(record_count), 0)::int AS records,
              count(*) FILTER (WHERE details->>'created' = 'true')::int AS created
       FROM audit_events WHERE action IN ('users.erased_by_phone_number', 'callback.login') GROUP BY action ORDER BY action`,
    );
    const logins = outcomes.filter((o) => o.kind === 'callback login');
    expect(audits).toEqual([
      {
        action: 'callback.login',
        rows: logins.length,
        records: logins.filter((o) => o.response.statusCode === 201).length,
        created: logins.filter((o) => o.response.statusCode === 201).length,
      },
      { action: 'users.erased_by_phone_number', rows: erasures.length, records: erased, created: 0 },
    ]);
    // Every login consumed its token, and the erasures did not give any token back (no replay possible).
    expect(await count(`SELECT count(*)::int AS count FROM consumed_callback_tokens`)).toBe(logins.length);

    // A last erasure, alone, removes exactly what the race left: no erasure was lost on the way.
    const last = await t.request(requestOf('erasure', 0));
    expect(last.json()).toEqual({ deleted: remaining });
    expect(
      await count(`SELECT count(*)::int AS count FROM aura_users WHERE phone_number_index = $1`, [phoneIndex()]),
    ).toBe(0);

    console.log(
      `race on one person (${ON_POSTGRES ? 'PostgreSQL' : 'PGlite'}): ${outcomes.length} concurrent requests in ${ROUNDS} round(s) → ` +
        `${JSON.stringify(spread)}; created ${created.length}, erased ${erased}, survived ${remaining}`,
    );
  });
});

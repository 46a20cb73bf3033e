import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { v5 as uuidv5 } from 'uuid';
import { Tier } from 'src/auth/tier';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { runPiiCommand } from 'src/cli/pii.command';
import { dataSourceOptions } from 'src/database/data-source-options';
import { PersonalDataCipher, SealedColumn } from 'src/users/personal-data';
import { TEST_DATABASE_URL } from '../support/postgres';
import { apiKeyHeader, createTestApp, freshDatabase, testConfig, type TestApp } from '../support/test-app';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { DatabaseSettings } from 'src/database/database.settings';
import { UsersSettings } from 'src/users/users.settings';

const key = () => randomBytes(32).toString('base64url');
const OLD = key();
const NEW = key();
const INDEX = key();

/**
 * Personal data at rest (docs/pii.md): what the database holds after the user flows ran, how a value under a
 * key that left the ring fails, and key rotation with `pii reencrypt`.
 */
(TEST_DATABASE_URL ? describe : describe.skip)('personal data sealed at rest (needs TEST_DATABASE_URL)', () => {
  let t: TestApp;
  let bot: Record<string, string>;
  let kernel: Record<string, string>;
  let printed: string[];
  let errors: string[];

  /** Every phone number and context value the flows write, as a dump could show them. */
  const PHONES = ['+34612000101', '+34612000102', '+34612000103', '+34612000104', '+34612000105'];
  const CONTEXT_MARKERS = ['ctx-marker-loa-scope-7781', 'ctx-marker-extra-9926', 'ctx-marker-purpose-5531'];

  beforeAll(async () => {
    t = await createTestApp({ PII_KEYS: `new:${NEW},old:${OLD}`, PII_INDEX_KEY: INDEX, RATE_LIMIT_LIMIT: '100000' });
    bot = apiKeyHeader((await t.createKey(Tier.Internal)).key);
    kernel = apiKeyHeader((await t.createKey(Tier.Kernel)).key);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    printed = [];
    errors = [];
    jest.spyOn(console, 'log').mockImplementation((text: string) => void printed.push(text));
    jest.spyOn(console, 'error').mockImplementation((text: string) => void errors.push(text));
  });
  afterEach(() => jest.restoreAllMocks());

  const dump = async (): Promise<string> => {
    const { stdout } = await promisify(execFile)(
      'pg_dump',
      ['--no-owner', t.config.get(DatabaseSettings).DATABASE_URL as string],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return stdout;
  };

  /** Every way a number may appear: E.164, without +, national. */
  const writings = (e164: string) => [e164, e164.slice(1), e164.slice(3)];

  it('should answer every user flow with the clear values, and leave none of them in a pg_dump', async () => {
    const login = await t.request({
      method: 'POST',
      url: '/users/wa-pii-1',
      headers: bot,
      payload: {
        channel: 'whatsapp-es',
        authenticationContext: {
          userId: 'u-pii-1',
          authorizationId: 'a-pii-1',
          phoneNumber: PHONES[0],
          scopes: [CONTEXT_MARKERS[0]],
          purposes: [CONTEXT_MARKERS[2]],
          extra: { note: CONTEXT_MARKERS[1], msisdn: PHONES[4].slice(1) },
        },
      },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json()).toMatchObject({
      phoneNumber: PHONES[0],
      authenticationContext: expect.objectContaining({ scopes: [CONTEXT_MARKERS[0]], extra: expect.any(Object) }),
    });
    const identifiable = await t.request({
      method: 'GET',
      url: `/users/aura-id/wa-pii-2?channel=whatsapp-es&phoneNumber=${encodeURIComponent(PHONES[1])}`,
      headers: bot,
    });
    expect(identifiable.statusCode).toBe(201);
    const kernelUser = await t.request({
      method: 'GET',
      url: `/users/aura-id?channel=webchat&userId=u-pii-3&authorizationId=a-pii-3&phoneNumber=${encodeURIComponent(PHONES[2])}`,
      headers: kernel,
    });
    expect(kernelUser.statusCode).toBe(201);
    const cipher = new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
    const callback = await t.request({
      method: 'GET',
      url: `/users/auraid/integrated?data=${encodeURIComponent(
        sealPayload(cipher, CallbackPurpose.Login, {
          channel: 'web',
          userId: 'u-pii-4',
          authorizationId: 'a-pii-4',
          phoneNumber: PHONES[3],
        }),
      )}`,
    });
    expect(callback.statusCode).toBe(201);

    // Lookups read the values back in clear.
    const read = await t.request({ method: 'GET', url: '/users/wa-pii-1', headers: bot });
    expect(read.statusCode).toBe(200);
    expect(read.json().phoneNumber).toBe(PHONES[0]);
    expect(read.json().authenticationContext.extra).toEqual({ note: CONTEXT_MARKERS[1], msisdn: PHONES[4].slice(1) });
    // An identifiable user is read back through its get-or-create (GET /users/{auraId} is 404 for it).
    const readBack = await t.request({
      method: 'GET',
      url: '/users/aura-id/wa-pii-2?channel=whatsapp-es',
      headers: bot,
    });
    expect(readBack.statusCode).toBe(200);
    expect(readBack.json().phoneNumber).toBe(PHONES[1]);

    const stored = await t.query<{ phone_number: string; authentication_context: string | null }>(
      'SELECT phone_number, authentication_context FROM aura_users WHERE phone_number IS NOT NULL',
    );
    expect(stored).toHaveLength(4);
    for (const row of stored) {
      expect(row.phone_number).toMatch(/^v1\.new\./);
    }

    const text = await dump();
    expect(text).toContain('wa-pii-1');
    for (const phone of PHONES) {
      for (const written of writings(phone)) {
        expect(text).not.toContain(written);
      }
    }
    for (const marker of CONTEXT_MARKERS) {
      expect(text).not.toContain(marker);
    }
  });

  it('should still find and erase a person by phone number, including where the context carries it', async () => {
    const erased = await t.request({
      method: 'DELETE',
      url: `/admin/users/phone-numbers/${encodeURIComponent(PHONES[4])}`,
      headers: kernel,
    });
    expect(erased.json()).toEqual({ deleted: 1 });
    expect((await t.request({ method: 'GET', url: '/users/wa-pii-1', headers: bot })).statusCode).toBe(404);
  });

  it('should fail closed on a value sealed under a key no longer in PII_KEYS, or moved to another column', async () => {
    const gone = new PersonalDataCipher({ PII_KEYS: `gone:${key()}`, PII_INDEX_KEY: INDEX });
    await t.query(
      `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, phone_number, expires_at)
       VALUES ('wa-gone', 'g', 'u', 'whatsapp-es', 'identifiable', $1, now() + interval '1 day')`,
      [gone.seal(SealedColumn.PhoneNumber, '+34612000199')],
    );
    const response = await t.request({ method: 'GET', url: '/users/wa-gone', headers: bot });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('34612000199');
    expect(response.json()).not.toHaveProperty('phoneNumber');
    expect(t.logs.text).toContain('phone_number: sealed under key \\"gone\\", which PII_KEYS no longer holds');
    // Nor can a rotation re-seal it: it stops, naming column and key id.
    expect(await runPiiCommand(t.config, 'reencrypt', {})).toBe(1);
    expect(errors.join('\n')).toContain('phone_number: sealed under key "gone"');
    expect(errors.join('\n')).not.toContain('34612000199');

    // A sealed phone number copied into the context column does not authenticate there.
    const ring = new PersonalDataCipher({ PII_KEYS: `new:${NEW}`, PII_INDEX_KEY: INDEX });
    await t.query(`UPDATE aura_users SET phone_number = NULL, authentication_context = $1 WHERE aura_id = 'wa-gone'`, [
      ring.seal(SealedColumn.PhoneNumber, '{"phone":"+34612000199"}'),
    ]);
    const moved = await t.request({ method: 'GET', url: '/users/wa-gone', headers: bot });
    expect(moved.statusCode).toBe(500);
    expect(moved.body).not.toContain('34612000199');
    expect(t.logs.text).toContain('authentication_context: sealed value failed authentication under key \\"new\\"');

    await t.query(`DELETE FROM aura_users WHERE aura_id = 'wa-gone'`);
  });

  it('should re-seal every value under the first key with pii reencrypt, resumably, and read them back', async () => {
    const oldRing = new PersonalDataCipher({ PII_KEYS: `old:${OLD}`, PII_INDEX_KEY: INDEX });
    for (let i = 0; i < 5; i++) {
      await t.query(
        `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, phone_number, authentication_context,
           phone_number_index, expires_at)
         VALUES ($1, 'g', $1, 'webchat', 'authenticated', $2, $3, $4, now() + interval '1 day')`,
        [
          `old-${i}`,
          oldRing.seal(SealedColumn.PhoneNumber, `+3461200030${i}`),
          oldRing.seal(SealedColumn.AuthenticationContext, JSON.stringify({ loa: i })),
          oldRing.phoneIndex(`+3461200030${i}`),
        ],
      );
    }
    expect((await t.request({ method: 'GET', url: '/users/old-3', headers: bot })).json()).toMatchObject({
      phoneNumber: '+34612000303',
      authenticationContext: { loa: 3 },
    });

    expect(await runPiiCommand(t.config, 'reencrypt', { 'batch-size': '2' })).toBe(0);
    expect(printed[0]).toContain('5 record(s)');
    expect(printed.join('\n')).toContain('5/5 re-sealed');
    expect(printed.join('\n')).not.toMatch(/346120003/);
    expect(await runPiiCommand(t.config, 'reencrypt', {})).toBe(0);
    expect(printed.at(-2)).toContain('0 record(s)');

    const kids = await t.query<{ kid: string }>(
      `SELECT DISTINCT split_part(phone_number, '.', 2) AS kid FROM aura_users WHERE phone_number IS NOT NULL
       UNION SELECT DISTINCT split_part(authentication_context, '.', 2) FROM aura_users WHERE authentication_context IS NOT NULL`,
    );
    expect(kids).toEqual([{ kid: 'new' }]);
    const newOnly = new PersonalDataCipher({ PII_KEYS: `new:${NEW}`, PII_INDEX_KEY: INDEX });
    const [row] = await t.query<{ phone_number: string }>(
      `SELECT phone_number FROM aura_users WHERE aura_id = 'old-3'`,
    );
    expect(newOnly.open(SealedColumn.PhoneNumber, row.phone_number)).toBe('+34612000303');
  });
});

(TEST_DATABASE_URL ? describe : describe.skip)('migration of existing rows to sealed values', () => {
  it('should seal clear rows, key the derived identifiers, keep erasure working, and revert to clear', async () => {
    const database = await freshDatabase();
    const config = testConfig(database);
    const dataSource = await new DataSource(dataSourceOptions(config.get(DatabaseSettings))).initialize();
    try {
      // Back to the schema before the sealing migration: the later ones are undone first.
      const sealing = async () =>
        (await dataSource.query<unknown[]>(`SELECT 1 FROM migrations WHERE name = 'PersonalDataSealed1795400000000'`))
          .length > 0;
      while (await sealing()) {
        await dataSource.undoLastMigration({ transaction: 'each' });
      }
      const phone = '+34612000401';
      const legacyGlobal = uuidv5(`tel:${phone}`, '9694524f-22c8-4597-bc01-e10fbf595fac');
      const legacyUser = uuidv5(`tel:${phone}`, '8d8fd67c-acb0-47b3-8179-3098ebc07652');
      await dataSource.query(
        `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, phone_number, authentication_context, expires_at)
         VALUES ('mig-1', $1, $2, 'whatsapp-es', 'identifiable', $3, NULL, now() + interval '1 day'),
                ('mig-2', 'kernel-global', 'u-mig', 'webchat', 'authenticated', NULL, $4::jsonb, now() + interval '1 day')`,
        [legacyGlobal, legacyUser, phone, JSON.stringify({ loa: 2, contact: { phone: '612000402' } })],
      );
      await dataSource.runMigrations({ transaction: 'each' });

      const pii = new PersonalDataCipher(config.get(UsersSettings));
      const rows = await dataSource.query<Record<string, unknown>[]>(
        `SELECT aura_id, aura_id_global, user_id, phone_number, phone_number_index, phone_mentions, authentication_context
         FROM aura_users ORDER BY aura_id`,
      );
      expect(rows[0]).toMatchObject({
        aura_id_global: pii.pseudonym('aura-id-global', `tel:${phone}`),
        user_id: pii.pseudonym('user-id', `tel:${phone}`),
        phone_number: expect.stringMatching(/^v1\.dev\./),
        phone_number_index: pii.phoneIndex(phone),
      });
      expect(pii.open(SealedColumn.PhoneNumber, rows[0].phone_number as string)).toBe(phone);
      expect(rows[1]).toMatchObject({
        aura_id_global: 'kernel-global',
        user_id: 'u-mig',
        phone_mentions: [pii.phoneIndex('+34612000402')],
      });
      expect(
        JSON.parse(pii.open(SealedColumn.AuthenticationContext, rows[1].authentication_context as string)),
      ).toEqual({
        loa: 2,
        contact: { phone: '612000402' },
      });

      while (await sealing()) {
        await dataSource.undoLastMigration({ transaction: 'each' });
      }
      const reverted = await dataSource.query<Record<string, unknown>[]>(
        `SELECT aura_id_global, user_id, phone_number, authentication_context FROM aura_users ORDER BY aura_id`,
      );
      expect(reverted).toEqual([
        { aura_id_global: legacyGlobal, user_id: legacyUser, phone_number: phone, authentication_context: null },
        {
          aura_id_global: 'kernel-global',
          user_id: 'u-mig',
          phone_number: null,
          authentication_context: { loa: 2, contact: { phone: '612000402' } },
        },
      ]);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});

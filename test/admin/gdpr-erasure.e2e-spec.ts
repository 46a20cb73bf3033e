import { createHmac } from 'node:crypto';
import { Tier } from 'src/auth/tier';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { PersonalDataCipher } from 'src/users/personal-data';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { AuditSettings } from 'src/audit/audit.settings';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { UsersSettings } from 'src/users/users.settings';

/** DELETE /admin/users/phone-numbers/{phone_number}: GDPR erasure of a person in every channel. */
describe('GDPR erasure by phone number', () => {
  let t: TestApp;
  let kernel: { key: string; id: string };
  let bot: Record<string, string>;

  /** The person to erase, written three ways (all +34 612 987 654 in region ES). */
  const DIGITS = '612987654';
  const E164 = `+34${DIGITS}`;

  // Booting the app (and migrating an embedded database) can outlast Jest's default 5 s on a busy machine.
  beforeAll(async () => {
    t = await createTestApp();
    kernel = await t.createKey(Tier.Kernel, { name: 'ob-admin' });
    bot = apiKeyHeader((await t.createKey(Tier.Internal)).key);
  });
  afterAll(() => t.close());

  const erase = (phoneNumber: string, headers: Record<string, string> = { authorization: `APIKEY ${kernel.key}` }) =>
    t.request({
      method: 'DELETE',
      url: `/admin/users/phone-numbers/${encodeURIComponent(phoneNumber)}`,
      headers,
    });

  async function seedPerson(): Promise<void> {
    const created = await Promise.all([
      t.request({
        method: 'POST',
        url: '/users/wa-person',
        headers: bot,
        payload: {
          channel: 'whatsapp-es',
          authenticationContext: { userId: 'u-person', authorizationId: 'a-1', phoneNumber: `+34 ${DIGITS}` },
        },
      }),
      t.request({
        method: 'GET',
        url: `/users/aura-id/tv-person?channel=living-tv&phoneNumber=0034${DIGITS}`,
        headers: bot,
      }),
      t.request({
        method: 'GET',
        url: `/users/aura-id?channel=webchat&userId=u-person&authorizationId=a-2&phoneNumber=${DIGITS}`,
        headers: { authorization: `APIKEY ${kernel.key}` },
      }),
      t.request({
        method: 'GET',
        url: '/users/aura-id/wa-other?channel=whatsapp-es&phoneNumber=%2B34600111222',
        headers: bot,
      }),
    ]);
    expect(created.map((response) => response.statusCode)).toEqual([201, 201, 201, 201]);
  }

  it('should erase the person in every channel, leave others untouched, and audit it hashed', async () => {
    await seedPerson();
    const response = await erase('+34 612 98 76 54');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ deleted: 3 });

    expect(await t.query('SELECT aura_id FROM aura_users')).toEqual([{ aura_id: 'wa-other' }]);
    // wa-other is identifiable: read back through its get-or-create (GET /users/{auraId} is 404 for it).
    const other = await t.request({ method: 'GET', url: '/users/aura-id/wa-other?channel=whatsapp-es', headers: bot });
    expect(other.statusCode).toBe(200);
    expect(other.json().phoneNumber).toBe('+34600111222');

    const audit = await t.query<Record<string, unknown>>(
      `SELECT actor_key_id, subject_hash, record_count, request_id, details FROM audit_events
       WHERE action = 'users.erased_by_phone_number'`,
    );
    expect(audit).toEqual([
      {
        actor_key_id: kernel.id,
        subject_hash: createHmac('sha256', t.config.get(AuditSettings).AUDIT_HMAC_SECRET).update(E164).digest('hex'),
        record_count: 3,
        request_id: response.headers['x-request-id'],
        details: {
          channels: ['living-tv', 'webchat', 'whatsapp-es'],
          phoneIndex: new PersonalDataCipher(t.config.get(UsersSettings)).phoneIndex(E164),
        },
      },
    ]);
  });

  it('should answer {"deleted": 0} when repeated, written another way, and audit that too', async () => {
    for (const written of [`0034${DIGITS}`, DIGITS, E164]) {
      const response = await erase(written);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ deleted: 0 });
    }
    const audits = await t.query<{ record_count: number }>(
      `SELECT record_count FROM audit_events WHERE action = 'users.erased_by_phone_number' ORDER BY created_at`,
    );
    expect(audits.map((row) => row.record_count)).toEqual([3, 0, 0, 0]);
  });

  it('should count erasures and erased records', async () => {
    const metrics = await t.scrape();
    expect(metrics.body).toMatch(/^gdpr_erasures_total 4$/m);
    expect(metrics.body).toMatch(/^gdpr_erased_users_total 3$/m);
  });

  it('should erase every record holding the number in any writing, and unlink every audit row of it', async () => {
    const NUMBER = '+34611222333';
    const hash = (value: string) =>
      createHmac('sha256', t.config.get(AuditSettings).AUDIT_HMAC_SECRET).update(value).digest('hex');
    const cipher = new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
    const created = [
      // The context carries it (msisdn, contact.phone), not the phone column.
      await t.request({
        method: 'POST',
        url: '/users/ctx-holder',
        headers: bot,
        payload: {
          channel: 'webchat',
          authenticationContext: {
            userId: 'u-ctx',
            authorizationId: 'a-ctx',
            msisdn: '34611222333',
            contact: { phone: '611 22 23 33' },
          },
        },
      }),
      // The Kernel userId is the number.
      await t.request({
        method: 'GET',
        url: '/users/aura-id?channel=webchat&userId=34611222333&authorizationId=a-kernel',
        headers: { authorization: `APIKEY ${kernel.key}` },
      }),
      // The WhatsApp auraId is the number.
      await t.request({ method: 'GET', url: '/users/aura-id/34611222333?channel=whatsapp', headers: bot }),
      // A login callback carrying it (its audit row hashes the number).
      await t.request({
        method: 'GET',
        url: `/users/auraid/integrated?data=${encodeURIComponent(
          sealPayload(cipher, CallbackPurpose.Login, {
            channel: 'web',
            userId: 'u-callback',
            authorizationId: 'a-callback',
            phoneNumber: NUMBER,
          }),
        )}`,
      }),
    ];
    expect(created.map((response) => response.statusCode)).toEqual([201, 201, 201, 201]);
    // A logout of a record whose auraId is the number leaves an audit row hashing it.
    await t.request({ method: 'GET', url: '/users/aura-id/34611222333?channel=whatsapp-es', headers: bot });
    expect((await t.request({ method: 'DELETE', url: '/users/34611222333', headers: bot })).statusCode).toBe(204);
    await t.request({ method: 'GET', url: '/users/aura-id/34611222333?channel=whatsapp', headers: bot });
    const linked = () =>
      t.query<{ action: string }>(
        `SELECT action FROM audit_events WHERE subject_hash = ANY($1) AND action <> 'users.erased_by_phone_number'
         UNION ALL SELECT 'consumed' FROM consumed_callback_tokens WHERE subject_hash = ANY($1)`,
        [[hash(NUMBER), hash('34611222333'), hash('ctx-holder')]],
      );
    expect((await linked()).map((row) => row.action).sort()).toEqual(['callback.login', 'consumed', 'user.deleted']);

    const response = await erase(NUMBER);
    expect(response.json()).toEqual({ deleted: 4 });
    expect(await t.query('SELECT aura_id FROM aura_users ORDER BY aura_id')).toEqual([{ aura_id: 'wa-other' }]);
    expect(await linked()).toEqual([]);
    expect((await t.request({ method: 'GET', url: '/users/34611222333', headers: bot })).statusCode).toBe(404);
    // The erasure's own row stays, with only the keyed hash of the number.
    const erasures = await t.query(
      `SELECT record_count FROM audit_events WHERE action = 'users.erased_by_phone_number' AND subject_hash = $1`,
      [hash(NUMBER)],
    );
    expect(erasures).toEqual([{ record_count: 4 }]);
  });

  it('should refuse keys other than Kernel with 403 and erase nothing', async () => {
    const before = await t.query('SELECT aura_id FROM aura_users');
    const internal = await erase('+34600111222', bot);
    const publicKey = await erase('+34600111222', apiKeyHeader((await t.createKey(Tier.Public)).key));
    expect([internal.statusCode, publicKey.statusCode]).toEqual([403, 403]);
    expect(internal.json().code).toBe('api_key_tier_forbidden');
    expect(await t.query('SELECT aura_id FROM aura_users')).toEqual(before);
  });

  it('should refuse a Kernel key bound to a channel, since an erasure reaches every channel', async () => {
    const before = await t.query('SELECT aura_id FROM aura_users');
    const bound = await t.createKey(Tier.Kernel, { channel: 'whatsapp-es' });
    const response = await erase('+34600111222', { authorization: `APIKEY ${bound.key}` });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('api_key_channel_forbidden');
    expect(await t.query('SELECT aura_id FROM aura_users')).toEqual(before);
  });

  it('should refuse an invalid phone number with 400 naming phone_number, without echoing it', async () => {
    for (const invalid of ['12345', '+34 612 98', 'not-a-number', `+34${DIGITS}${DIGITS}`, "6'; DROP TABLE x;--"]) {
      const response = await erase(invalid);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: 'phone_number', message: expect.any(String) }],
      });
      expect(response.body).not.toContain(invalid);
      const digits = invalid.replace(/\D/g, '');
      if (digits.length >= 5) {
        expect(response.body).not.toContain(digits);
      }
    }
    expect(await t.query('SELECT aura_id FROM aura_users')).toHaveLength(1);
  });

  it('should leave no digits of the erased number in any log line or metric', async () => {
    const metrics = await t.scrape();
    expect(metrics.body).not.toContain(DIGITS);
    expect(t.logs.lines.length).toBeGreaterThan(0);
    expect(t.logs.text).not.toContain(DIGITS);
    expect(t.logs.text).not.toContain(DIGITS.slice(0, 6));
    expect(t.logs.text).not.toContain(DIGITS.slice(3));
    expect(t.logs.text).toContain('/admin/users/phone-numbers/:phone_number');
  });
});

import { createHmac } from 'node:crypto';
import { Tier } from 'src/common/access/tier';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';

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
  }, 60_000);
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

    const left = await t.query<{ aura_id: string; phone_number: string }>(
      'SELECT aura_id, phone_number FROM aura_users',
    );
    expect(left).toEqual([{ aura_id: 'wa-other', phone_number: '+34600111222' }]);

    const audit = await t.query<Record<string, unknown>>(
      `SELECT actor_key_id, subject_hash, record_count, request_id, details FROM audit_events
       WHERE action = 'users.erased_by_phone_number'`,
    );
    expect(audit).toEqual([
      {
        actor_key_id: kernel.id,
        subject_hash: createHmac('sha256', t.config.AUDIT_HMAC_SECRET).update(E164).digest('hex'),
        record_count: 3,
        request_id: response.headers['x-request-id'],
        details: { channels: ['living-tv', 'webchat', 'whatsapp-es'] },
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
    const metrics = await t.request({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^gdpr_erasures_total 4$/m);
    expect(metrics.body).toMatch(/^gdpr_erased_users_total 3$/m);
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
    const metrics = await t.request({ method: 'GET', url: '/metrics' });
    expect(metrics.body).not.toContain(DIGITS);
    expect(t.logs.lines.length).toBeGreaterThan(0);
    expect(t.logs.text).not.toContain(DIGITS);
    expect(t.logs.text).not.toContain(DIGITS.slice(0, 6));
    expect(t.logs.text).not.toContain(DIGITS.slice(3));
    expect(t.logs.text).toContain('/admin/users/phone-numbers/:phone_number');
  });
});

import { randomBytes } from 'node:crypto';
import { Tier } from 'src/auth/tier';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { PersonalDataCipher } from 'src/users/personal-data';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { UsersSettings } from 'src/users/users.settings';

const LOGIN = '/users/auraid/integrated';
const LOGOUT = '/users/auraid/integrated/logout';
const PHONE = '+34 612 34 56 78';

describe('Kernel callbacks (ciphered data parameter)', () => {
  let t: TestApp;
  let cipher: CallbackCipher;
  let session = 0;

  const newSession = () => ({
    channel: 'web',
    userId: `kernel-user-${++session}`,
    authorizationId: `authz-${session}-${randomBytes(4).toString('hex')}`,
  });
  const seal = (purpose: CallbackPurpose, payload: Record<string, unknown>, ttl?: number) =>
    sealPayload(cipher, purpose, payload, ttl);
  const call = (path: string, data: string) =>
    t.request({ method: 'GET', url: `${path}?data=${encodeURIComponent(data)}` });
  const userRows = () => t.query<{ count: number }>(`SELECT count(*)::int AS count FROM aura_users`);

  beforeAll(async () => {
    t = await createTestApp({
      CALLBACK_REDIRECT_ALLOWLIST: 'https://web.aura.example,https://app.aura.example:8443',
      RATE_LIMIT_LIMIT: '1000000',
      // Bursts queue for the pool: a busy machine must not turn that wait into 503s.
      DATABASE_CONNECT_TIMEOUT_MS: '15000',
    });
    cipher = new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
  });
  afterAll(() => t.close());

  it('should add the user on login, find it again for the same session, and remove it on logout', async () => {
    const kernel = newSession();
    const created = await call(LOGIN, seal(CallbackPurpose.Login, { ...kernel, phoneNumber: PHONE }));
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { auraId } = created.json();
    expect(created.json()).toEqual({
      auraId: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      auraIdGlobal: expect.any(String),
      userId: kernel.userId,
      channel: 'web',
      expiresAt: expect.any(String),
    });
    const stored = await t.query(
      `SELECT user_type, phone_number_index, authorization_id FROM aura_users WHERE aura_id = $1`,
      [auraId],
    );
    expect(stored).toEqual([
      {
        user_type: 'authenticated',
        phone_number_index: new PersonalDataCipher(t.config.get(UsersSettings)).phoneIndex('+34612345678'),
        authorization_id: kernel.authorizationId,
      },
    ]);
    const reader = apiKeyHeader((await t.createKey(Tier.Internal)).key);
    expect((await t.request({ method: 'GET', url: `/users/${auraId}`, headers: reader })).json().phoneNumber).toBe(
      '+34612345678',
    );

    const again = await call(LOGIN, seal(CallbackPurpose.Login, kernel));
    expect(again.statusCode).toBe(200);
    expect(again.json().auraId).toBe(auraId);

    const internal = await t.createKey(Tier.Internal);
    expect(
      (await t.request({ method: 'GET', url: `/users/${auraId}`, headers: apiKeyHeader(internal.key) })).statusCode,
    ).toBe(200);

    const logout = await call(LOGOUT, seal(CallbackPurpose.Logout, { ...kernel, auraId }));
    expect(logout.statusCode).toBe(204);
    expect(logout.body).toBe('');
    expect(await t.query(`SELECT aura_id FROM aura_users WHERE aura_id = $1`, [auraId])).toEqual([]);
    const logoutAgain = await call(LOGOUT, seal(CallbackPurpose.Logout, kernel));
    expect(logoutAgain.statusCode).toBe(204);
  });

  it('should use the auraId Kernel supplies, and remove a session by its Kernel ids when no auraId is given', async () => {
    const kernel = newSession();
    const auraId = `kernel-chosen-${session}`;
    const created = await call(LOGIN, seal(CallbackPurpose.Login, { ...kernel, auraId }));
    expect(created.statusCode).toBe(201);
    expect(created.json().auraId).toBe(auraId);
    expect((await call(LOGOUT, seal(CallbackPurpose.Logout, kernel))).statusCode).toBe(204);
    expect(await t.query(`SELECT aura_id FROM aura_users WHERE aura_id = $1`, [auraId])).toEqual([]);
  });

  it('should answer 409 when Kernel picks an auraId another record has, writing nothing and keeping the token usable', async () => {
    const internal = await t.createKey(Tier.Internal);
    await t.request({
      method: 'GET',
      url: '/users/aura-id/taken-aura-id?channel=whatsapp',
      headers: apiKeyHeader(internal.key),
    });
    const kernel = newSession();
    const before = await userRows();
    const response = await call(LOGIN, seal(CallbackPurpose.Login, { ...kernel, auraId: 'taken-aura-id' }));
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('aura_id_taken');
    expect(await userRows()).toEqual(before);
    expect(
      await t.query(
        `SELECT jti FROM consumed_callback_tokens WHERE purpose = 'login' AND expires_at > now() - interval '1 day'`,
      ),
    ).not.toContainEqual(expect.objectContaining({ jti: expect.stringContaining('taken') }));
  });

  it('should refuse an auraId that is a path segment of another route', async () => {
    const response = await call(LOGIN, seal(CallbackPurpose.Login, { ...newSession(), auraId: 'aura-id' }));
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('callback_payload_invalid');
  });

  it.each(['auraId', 'auraIdGlobal', 'phoneNumber', 'subscriptionType', 'redirectUri'])(
    'should refuse %s sent as null before consuming the token or writing anything',
    async (member) => {
      const before = await userRows();
      const response = await call(LOGIN, seal(CallbackPurpose.Login, { ...newSession(), [member]: null }));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'callback_payload_invalid', errors: [{ field: member }] });
      expect(await userRows()).toEqual(before);
    },
  );

  it('should log out the record named by auraId even when the session ids differ', async () => {
    const kernel = newSession();
    const { auraId } = (await call(LOGIN, seal(CallbackPurpose.Login, kernel))).json();
    const other = newSession();
    expect((await call(LOGOUT, seal(CallbackPurpose.Logout, { ...other, auraId }))).statusCode).toBe(204);
    expect(await t.query(`SELECT aura_id FROM aura_users WHERE aura_id = $1`, [auraId])).toEqual([]);
  });

  it('should refuse a replayed token, even after logout, and change nothing', async () => {
    const kernel = newSession();
    const token = seal(CallbackPurpose.Login, kernel);
    const first = await call(LOGIN, token);
    expect(first.statusCode).toBe(201);
    expect(
      (await call(LOGOUT, seal(CallbackPurpose.Logout, { ...kernel, auraId: first.json().auraId }))).statusCode,
    ).toBe(204);
    const before = await userRows();
    const replay = await call(LOGIN, token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('callback_replayed');
    expect(await userRows()).toEqual(before);
  });

  it('should let exactly one of many concurrent uses of a token through', async () => {
    const token = seal(CallbackPurpose.Login, newSession());
    const responses = await Promise.all(Array.from({ length: 25 }, () => call(LOGIN, token)));
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(24);
    expect(responses.every((r) => r.statusCode === 201 || r.json().code === 'callback_replayed')).toBe(true);
  });

  it.each([
    [
      'a login token on the logout path',
      () => call(LOGOUT, seal(CallbackPurpose.Login, newSession())),
      401,
      'callback_wrong_purpose',
    ],
    [
      'a logout token on the login path',
      () => call(LOGIN, seal(CallbackPurpose.Logout, newSession())),
      401,
      'callback_wrong_purpose',
    ],
    [
      'an expired token',
      () =>
        call(LOGIN, seal(CallbackPurpose.Login, { ...newSession(), iat: nowSeconds() - 900, exp: nowSeconds() - 600 })),
      401,
      'callback_expired',
    ],
    [
      'a token issued in the future',
      () =>
        call(LOGIN, seal(CallbackPurpose.Login, { ...newSession(), iat: nowSeconds() + 600, exp: nowSeconds() + 900 })),
      401,
      'callback_expired',
    ],
    [
      'a token living too long',
      () => call(LOGIN, seal(CallbackPurpose.Login, newSession(), 7200)),
      400,
      'callback_payload_invalid',
    ],
    ['a tampered token', () => call(LOGIN, tamper(seal(CallbackPurpose.Login, newSession()))), 401, 'callback_invalid'],
    [
      'a token of an unknown key',
      () => call(LOGIN, seal(CallbackPurpose.Login, newSession()).replace(/^v1\.[^.]+\./, 'v1.retired.')),
      401,
      'callback_unknown_key',
    ],
    [
      'a token of another version',
      () => call(LOGIN, seal(CallbackPurpose.Login, newSession()).replace(/^v1\./, 'v2.')),
      400,
      'callback_malformed',
    ],
    ['garbage', () => call(LOGIN, 'not-a-token'), 400, 'callback_malformed'],
    [
      'an authentic token without a channel',
      () => call(LOGIN, seal(CallbackPurpose.Login, { userId: 'u', authorizationId: 'a' })),
      400,
      'callback_payload_invalid',
    ],
    [
      'an authentic token with an invalid phone number',
      () => call(LOGIN, seal(CallbackPurpose.Login, { ...newSession(), phoneNumber: '12' })),
      400,
      'callback_payload_invalid',
    ],
    [
      'a redirect outside the allow-list',
      () => call(LOGIN, seal(CallbackPurpose.Login, { ...newSession(), redirectUri: 'https://evil.example/x' })),
      400,
      'callback_redirect_refused',
    ],
    [
      'a redirect to an allowed host on another port',
      () => call(LOGIN, seal(CallbackPurpose.Login, { ...newSession(), redirectUri: 'https://app.aura.example/x' })),
      400,
      'callback_redirect_refused',
    ],
    [
      'a javascript: redirect',
      () => call(LOGIN, seal(CallbackPurpose.Login, { ...newSession(), redirectUri: 'javascript:alert(1)' })),
      400,
      'callback_redirect_refused',
    ],
  ])('should refuse %s and write nothing', async (_name, attempt, status, code) => {
    const before = await t.query(
      `SELECT (SELECT count(*) FROM aura_users)::int AS users, (SELECT count(*) FROM consumed_callback_tokens)::int AS tokens`,
    );
    const response = await attempt();
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().code).toBe(code);
    expect(
      await t.query(
        `SELECT (SELECT count(*) FROM aura_users)::int AS users, (SELECT count(*) FROM consumed_callback_tokens)::int AS tokens`,
      ),
    ).toEqual(before);
  });

  it('should refuse a missing or oversized data parameter, naming it', async () => {
    const missing = await t.request({ method: 'GET', url: LOGIN });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({
      code: 'validation_failed',
      errors: expect.arrayContaining([expect.objectContaining({ field: 'data' })]),
    });
    const oversized = await call(LOGIN, 'v1.k.' + 'A'.repeat(5000));
    expect(oversized.statusCode).toBe(400);
  });

  it('should redirect the browser to an allowed redirectUri after doing its work', async () => {
    const kernel = newSession();
    const response = await call(
      LOGIN,
      seal(CallbackPurpose.Login, { ...kernel, redirectUri: 'https://web.aura.example/linked?state=abc' }),
    );
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('https://web.aura.example/linked?state=abc');
    expect(await t.query(`SELECT channel FROM aura_users WHERE user_id = $1`, [kernel.userId])).toEqual([
      { channel: 'web' },
    ]);
    const logout = await call(
      LOGOUT,
      seal(CallbackPurpose.Logout, { ...kernel, redirectUri: 'https://app.aura.example:8443/bye' }),
    );
    expect(logout.statusCode).toBe(302);
    expect(logout.headers.location).toBe('https://app.aura.example:8443/bye');
  });

  it('should audit logins and logouts with the person hashed, and log nothing of the payload', async () => {
    const kernel = newSession();
    const token = seal(CallbackPurpose.Login, { ...kernel, phoneNumber: PHONE });
    const { auraId } = (await call(LOGIN, token)).json();
    await call(LOGOUT, seal(CallbackPurpose.Logout, { ...kernel, auraId }));
    const audit = await t.query<{ action: string; subject_hash: string; actor_key_id: null }>(
      `SELECT action, subject_hash, actor_key_id FROM audit_events WHERE action LIKE 'callback.%' ORDER BY created_at DESC LIMIT 2`,
    );
    expect(audit.map((row) => row.action).sort()).toEqual(['callback.login', 'callback.logout']);
    expect(JSON.stringify(audit)).not.toContain(auraId);
    for (const secret of [token, kernel.authorizationId, auraId, '612345678', '612 34 56 78']) {
      expect(t.logs.text).not.toContain(secret);
    }
  });

  it('should unlink the consumed tokens of a person at the GDPR erasure of their number, and still refuse their replay', async () => {
    const token = seal(CallbackPurpose.Login, { ...newSession(), phoneNumber: '+34 699 11 22 33' });
    expect((await call(LOGIN, token)).statusCode).toBe(201);
    const hashed = await t.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM consumed_callback_tokens WHERE subject_hash IS NOT NULL`,
    );
    expect(hashed[0].count).toBeGreaterThan(0);
    const kernel = await t.createKey(Tier.Kernel);
    const erased = await t.request({
      method: 'DELETE',
      url: `/admin/users/phone-numbers/${encodeURIComponent('+34699112233')}`,
      headers: apiKeyHeader(kernel.key),
    });
    expect(erased.statusCode).toBe(200);
    const left = await t.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM consumed_callback_tokens WHERE subject_hash = (SELECT subject_hash FROM audit_events WHERE action = 'users.erased_by_phone_number' ORDER BY created_at DESC LIMIT 1)`,
    );
    expect(left).toEqual([{ count: 0 }]);
    // A captured callback URL of the person must not bring the erased record back.
    const replay = await call(LOGIN, token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('callback_replayed');
    expect(await t.query(`SELECT aura_id FROM aura_users WHERE phone_number = '+34699112233'`)).toEqual([]);
  });

  it.each([
    // As deep as fits in the data parameter (4096 characters sealed).
    ['arrays', '['.repeat(1300) + ']'.repeat(1300)],
    ['objects', '{"a":'.repeat(300) + '1' + '}'.repeat(300)],
  ])(
    'should refuse an authentic payload of deeply nested %s with 400, not exhaust the stack',
    async (_kind, nested) => {
      const response = await call(LOGIN, cipher.seal(CallbackPurpose.Login, nested));
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('callback_payload_invalid');
    },
  );

  it('should answer 10,000 random data values with 400 or 401 only, never a 5xx', async () => {
    const statuses = new Map<number, number>();
    const valid = seal(CallbackPurpose.Login, newSession());
    for (let i = 0; i < 10_000; i++) {
      const data = randomData(i, valid);
      const response = await call(i % 2 === 0 ? LOGIN : LOGOUT, data);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    }
    console.log(`callbacks fuzz: 10000 random values → ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([400]));
    expect([...statuses.keys()].every((status) => status === 400 || status === 401)).toBe(true);
  });
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function tamper(sealed: string): string {
  const parts = sealed.split('.');
  const ciphertext = Buffer.from(parts[3], 'base64url');
  ciphertext[0] ^= 0x01;
  parts[3] = ciphertext.toString('base64url');
  return parts.join('.');
}

/** Random strings of every kind: bytes, near-valid tokens, unicode, oversize. */
function randomData(i: number, valid: string): string {
  const bytes = randomBytes(1 + (i % 97));
  switch (i % 5) {
    case 0:
      return bytes.toString('base64url');
    case 1:
      return `v1.k${i % 3}.${randomBytes(12).toString('base64url')}.${bytes.toString('base64url')}.${randomBytes(16).toString('base64url')}`;
    case 2:
      return valid.slice(0, i % valid.length) + bytes.toString('base64url');
    case 3:
      return bytes.toString('latin1');
    default:
      return String.fromCodePoint(...Array.from(bytes, (b) => 0x80 + b * 97)) + '\u0000';
  }
}

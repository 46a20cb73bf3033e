import { Tier } from 'src/auth/tier';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';

/**
 * The WhatsApp flows of docs/users.md, replayed from aura-bot's side: what it calls on this API at each
 * step of a conversation, and what it must get back.
 */
describe('WhatsApp flows (docs/users.md), as aura-bot sees them', () => {
  let t: TestApp;
  let bot: Record<string, string>;

  // Booting the app (and migrating an embedded database) can outlast Jest's default 5 s on a busy machine.
  beforeAll(async () => {
    t = await createTestApp();
    bot = apiKeyHeader((await t.createKey(Tier.Internal, { name: 'aura-bot' })).key);
  });
  afterAll(() => t.close());

  /** validateCode's answer from Kernel's WhatsApp API, as the bot forwards it. */
  const authenticationContext = {
    userId: 'kernel-user-6f1c2a',
    authorizationId: 'authz-0b7e41d2',
    phoneNumber: '+34 612 345 678',
    subscriptionType: 'prepaid',
    loa: 2,
    scopes: ['user-profile-read'],
    purposes: ['identify-customer'],
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    tokenType: 'otp-sms',
  };

  it('should answer 404 to a new message from an anonymous user', async () => {
    const response = await t.request({ method: 'GET', url: '/users/wa-34612345678', headers: bot });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 404, code: 'user_not_found' });
  });

  it('should answer 201 Created when the OTP login stores the authentication context', async () => {
    const response = await t.request({
      method: 'POST',
      url: '/users/wa-34612345678',
      headers: bot,
      payload: { channel: 'whatsapp-es', authenticationContext },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      auraId: 'wa-34612345678',
      userType: 'authenticated',
      userId: 'kernel-user-6f1c2a',
      authorizationId: 'authz-0b7e41d2',
      phoneNumber: '+34612345678',
      channel: 'whatsapp-es',
    });
  });

  it('should answer the next message with 200 and the user data the bot caches', async () => {
    const response = await t.request({ method: 'GET', url: '/users/wa-34612345678', headers: bot });
    expect(response.statusCode).toBe(200);
    const user = response.json();
    expect(user).toEqual({
      auraId: 'wa-34612345678',
      auraIdGlobal: expect.stringMatching(/^[0-9a-f-]{36}$/),
      userId: 'kernel-user-6f1c2a',
      channel: 'whatsapp-es',
      userType: 'authenticated',
      subscriptionType: 'prepaid',
      phoneNumber: '+34612345678',
      authorizationId: 'authz-0b7e41d2',
      authenticationContext: { ...authenticationContext, phoneNumber: '+34612345678' },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      expiresAt: new Date(authenticationContext.expiresAt).toISOString(),
    });
  });

  it('should answer 204 to the logout, and 404 (anonymous again) to the following message', async () => {
    const logout = await t.request({ method: 'DELETE', url: '/users/wa-34612345678', headers: bot });
    expect(logout.statusCode).toBe(204);
    expect(logout.body).toBe('');
    const next = await t.request({ method: 'GET', url: '/users/wa-34612345678', headers: bot });
    expect(next.statusCode).toBe(404);
    expect(next.json().code).toBe('user_not_found');
    expect(await t.query('SELECT 1 FROM aura_users')).toHaveLength(0);
  });

  it('should answer 204 again to a repeated logout', async () => {
    const again = await t.request({ method: 'DELETE', url: '/users/wa-34612345678', headers: bot });
    expect(again.statusCode).toBe(204);
  });

  it('should upgrade an identifiable WhatsApp user to authenticated at login, keeping its auraIdGlobal', async () => {
    const identifiable = await t.request({
      method: 'GET',
      url: '/users/aura-id/wa-34699000111?channel=whatsapp-es&phoneNumber=%2B34699000111',
      headers: bot,
    });
    expect(identifiable.statusCode).toBe(201);
    expect(identifiable.json()).toMatchObject({ userType: 'identifiable', authorizationId: null });
    // Identifiable is still anonymous: the bot takes its anonymous branch, with the same 404 as no record.
    const seen = await t.request({ method: 'GET', url: '/users/wa-34699000111', headers: bot });
    expect(seen.statusCode).toBe(404);
    expect(seen.json()).toMatchObject({ status: 404, code: 'user_not_found' });

    const login = await t.request({
      method: 'POST',
      url: '/users/wa-34699000111',
      headers: bot,
      payload: {
        channel: 'whatsapp-es',
        authenticationContext: { userId: 'kernel-user-2', authorizationId: 'authz-2' },
      },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json()).toMatchObject({
      userType: 'authenticated',
      userId: 'kernel-user-2',
      phoneNumber: '+34699000111',
      auraIdGlobal: identifiable.json().auraIdGlobal,
      createdAt: identifiable.json().createdAt,
    });
    expect(await t.query('SELECT aura_id FROM aura_users WHERE aura_id = $1', ['wa-34699000111'])).toHaveLength(1);
  });

  it('should accept the OTP login body exactly as the WhatsApp bot sends it, { authenticationContext } alone', async () => {
    const anonymous = await t.request({
      method: 'GET',
      url: '/users/aura-id/wa-34699000222?channel=whatsapp-es',
      headers: bot,
    });
    expect(anonymous.statusCode).toBe(201);
    const login = await t.request({
      method: 'POST',
      url: '/users/wa-34699000222',
      headers: bot,
      payload: { authenticationContext: { userId: 'kernel-user-3', authorizationId: 'authz-3' } },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json()).toMatchObject({ channel: 'whatsapp-es', userType: 'authenticated' });
  });

  it('should log in a user unknown until then with the body exactly as seed 004 draws it (unbound key, no channel)', async () => {
    const before = await t.request({ method: 'GET', url: '/users/wa-34611222333', headers: bot });
    expect(before.statusCode).toBe(404);
    const login = await t.request({
      method: 'POST',
      url: '/users/wa-34611222333',
      headers: bot,
      payload: { authenticationContext: { userId: 'kernel-user-5', authorizationId: 'authz-5', loa: 2 } },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json()).toMatchObject({ auraId: 'wa-34611222333', channel: 'whatsapp', userType: 'authenticated' });
    const after = await t.request({ method: 'GET', url: '/users/wa-34611222333', headers: bot });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ auraId: 'wa-34611222333', channel: 'whatsapp', userId: 'kernel-user-5' });
    expect(await t.query('SELECT channel FROM aura_users WHERE aura_id = $1', ['wa-34611222333'])).toEqual([
      { channel: 'whatsapp' },
    ]);
  });

  it('should accept the context itself as the body, as validateCode answers it (seed 004: POST /users/auraId {authenticationContext})', async () => {
    const login = await t.request({
      method: 'POST',
      url: '/users/wa-34611333001',
      headers: bot,
      payload: { ...authenticationContext, userId: 'kernel-user-bare', authorizationId: 'authz-bare' },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json()).toMatchObject({
      auraId: 'wa-34611333001',
      channel: 'whatsapp',
      userType: 'authenticated',
      userId: 'kernel-user-bare',
      authorizationId: 'authz-bare',
      phoneNumber: '+34612345678',
      subscriptionType: 'prepaid',
    });
    const stored = await t.request({ method: 'GET', url: '/users/wa-34611333001', headers: bot });
    expect(stored.statusCode).toBe(200);
    // Kernel's other members (tokenType) are kept, as in the wrapped form.
    expect(stored.json().authenticationContext).toEqual({
      ...authenticationContext,
      userId: 'kernel-user-bare',
      authorizationId: 'authz-bare',
      phoneNumber: '+34612345678',
    });
  });

  it("should read a bare context's channel as the context's channel, and validate it as such", async () => {
    const login = await t.request({
      method: 'POST',
      url: '/users/wa-34611333002',
      headers: bot,
      payload: { userId: 'kernel-user-bare-2', authorizationId: 'authz-bare-2', channel: 'whatsapp-br' },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json().channel).toBe('whatsapp-br');
    const bad = await t.request({
      method: 'POST',
      url: '/users/wa-34611333003',
      headers: bot,
      payload: { authorizationId: 'authz-bare-3', channel: 'whatsapp-br' },
    });
    expect(bad.statusCode).toBe(400);
    expect(new Set(bad.json().errors.map((error: { field: string }) => error.field))).toEqual(
      new Set(['authenticationContext.userId']),
    );
    expect(await t.query('SELECT 1 FROM aura_users WHERE aura_id = $1', ['wa-34611333003'])).toHaveLength(0);
  });

  it('should still refuse unknown members beside a wrapped context, and a body that is not an object', async () => {
    const beside = await t.request({
      method: 'POST',
      url: '/users/wa-34611333004',
      headers: bot,
      payload: { authenticationContext: { userId: 'kernel-user-x', authorizationId: 'authz-x' }, tokenType: 'otp' },
    });
    expect(beside.statusCode).toBe(400);
    expect(beside.json()).toMatchObject({ code: 'validation_failed' });
    expect(beside.json().errors).toEqual([expect.objectContaining({ field: 'tokenType' })]);
    for (const payload of ['[]', '"context"', '42', 'null']) {
      const response = await t.request({
        method: 'POST',
        url: '/users/wa-34611333004',
        headers: { ...bot, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
    }
    expect(await t.query('SELECT 1 FROM aura_users WHERE aura_id = $1', ['wa-34611333004'])).toHaveLength(0);
  });

  it('should get-or-create GET /users/aura-id/{auraId} with no parameters, as seed 000 writes it, in DEFAULT_CHANNEL', async () => {
    const created = await t.request({ method: 'GET', url: '/users/aura-id/wa-34611444001', headers: bot });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ auraId: 'wa-34611444001', channel: 'whatsapp', userType: 'identifiable' });
    const again = await t.request({ method: 'GET', url: '/users/aura-id/wa-34611444001', headers: bot });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(created.json());
    expect(await t.query('SELECT channel FROM aura_users WHERE aura_id = $1', ['wa-34611444001'])).toEqual([
      { channel: 'whatsapp' },
    ]);
  });

  it("should answer a record of another channel with no parameters as it is (200), as the login keeps the record's channel", async () => {
    const named = await t.request({
      method: 'GET',
      url: '/users/aura-id/wa-34611444002?channel=whatsapp-es',
      headers: bot,
    });
    expect(named.statusCode).toBe(201);
    const bare = await t.request({ method: 'GET', url: '/users/aura-id/wa-34611444002', headers: bot });
    expect(bare.statusCode).toBe(200);
    expect(bare.json()).toEqual(named.json());
    // Naming another channel is still the conflict it was.
    const other = await t.request({
      method: 'GET',
      url: '/users/aura-id/wa-34611444002?channel=webchat',
      headers: bot,
    });
    expect(other.statusCode).toBe(409);
  });

  it("should take a new user's channel from authenticationContext.channel when the body and the key name none", async () => {
    const login = await t.request({
      method: 'POST',
      url: '/users/wa-34611222444',
      headers: bot,
      payload: {
        authenticationContext: { userId: 'kernel-user-6', authorizationId: 'authz-6', channel: 'whatsapp-br' },
      },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json()).toMatchObject({ channel: 'whatsapp-br', userType: 'authenticated' });
    const bad = await t.request({
      method: 'POST',
      url: '/users/wa-34611222555',
      headers: bot,
      payload: {
        authenticationContext: { userId: 'kernel-user-7', authorizationId: 'authz-7', channel: 'Not A Channel' },
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ field: 'authenticationContext.channel' })]);
    expect(await t.query('SELECT 1 FROM aura_users WHERE aura_id = $1', ['wa-34611222555'])).toHaveLength(0);
  });

  it('should prefer the body channel, then the existing record, to the context channel and the default', async () => {
    const named = await t.request({
      method: 'POST',
      url: '/users/wa-34611222666',
      headers: bot,
      payload: {
        channel: 'whatsapp-es',
        authenticationContext: { userId: 'kernel-user-8', authorizationId: 'authz-8', channel: 'whatsapp-br' },
      },
    });
    expect(named.statusCode).toBe(201);
    expect(named.json().channel).toBe('whatsapp-es');
    const relogin = await t.request({
      method: 'POST',
      url: '/users/wa-34611222666',
      headers: bot,
      payload: { authenticationContext: { userId: 'kernel-user-8', authorizationId: 'authz-9' } },
    });
    expect(relogin.statusCode).toBe(201);
    expect(relogin.json()).toMatchObject({ channel: 'whatsapp-es', authorizationId: 'authz-9' });
  });

  it('should answer 404 user_not_found, as for no record, to an identifiable user whose record expired', async () => {
    await t.request({ method: 'GET', url: '/users/aura-id/wa-34611222777?channel=whatsapp-es', headers: bot });
    await t.query(`UPDATE aura_users SET expires_at = now() - interval '1 minute' WHERE aura_id = $1`, [
      'wa-34611222777',
    ]);
    const seen = await t.request({ method: 'GET', url: '/users/wa-34611222777', headers: bot });
    expect(seen.statusCode).toBe(404);
    expect(seen.json().code).toBe('user_not_found');
  });
});

describe('the OTP login with DEFAULT_CHANNEL configured', () => {
  let t: TestApp;
  let bot: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp({ DEFAULT_CHANNEL: 'whatsapp-mx' });
    bot = apiKeyHeader((await t.createKey(Tier.Internal, { name: 'aura-bot' })).key);
  });
  afterAll(() => t.close());

  it('should create a user of no known channel in DEFAULT_CHANNEL', async () => {
    const login = await t.request({
      method: 'POST',
      url: '/users/wa-5215512345678',
      headers: bot,
      payload: { authenticationContext: { userId: 'kernel-user-mx', authorizationId: 'authz-mx' } },
    });
    expect(login.statusCode).toBe(201);
    expect(login.json().channel).toBe('whatsapp-mx');
  });

  it('should create GET /users/aura-id/{auraId} without a channel in DEFAULT_CHANNEL too', async () => {
    const created = await t.request({ method: 'GET', url: '/users/aura-id/wa-5215512345679', headers: bot });
    expect(created.statusCode).toBe(201);
    expect(created.json().channel).toBe('whatsapp-mx');
  });
});

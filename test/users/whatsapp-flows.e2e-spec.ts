import { Tier } from 'src/common/access/tier';
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
  }, 60_000);
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
    const seen = await t.request({ method: 'GET', url: '/users/wa-34699000111', headers: bot });
    expect(seen.statusCode).toBe(200);
    expect(seen.json().userType).toBe('identifiable');

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
    const unknown = await t.request({
      method: 'POST',
      url: '/users/wa-never-seen',
      headers: bot,
      payload: { authenticationContext: { userId: 'kernel-user-4', authorizationId: 'authz-4' } },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([expect.objectContaining({ field: 'channel' })]);
  });
});

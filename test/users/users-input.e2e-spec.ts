import { Tier } from 'src/auth/tier';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { ServerSettings } from 'src/config/server.settings';

/**
 * Bad input on every user endpoint: each answer is a 400 problem naming the offending field, and
 * nothing reaches the database.
 */
describe('users: bad input', () => {
  let t: TestApp;
  let kernel: Record<string, string>;
  let bot: Record<string, string>;

  const EXISTING = 'existing-user';

  // Booting the app (and migrating an embedded database) can outlast Jest's default 5 s on a busy machine.
  beforeAll(async () => {
    t = await createTestApp();
    kernel = apiKeyHeader((await t.createKey(Tier.Kernel)).key);
    bot = apiKeyHeader((await t.createKey(Tier.Internal)).key);
    const created = await t.request({
      method: 'POST',
      url: `/users/${EXISTING}`,
      headers: bot,
      payload: { channel: 'webchat', authenticationContext: { userId: 'u-1', authorizationId: 'a-1' } },
    });
    expect(created.statusCode).toBe(201);
  });
  afterAll(() => t.close());

  /** Every row, so that "nothing written" covers updates as well as inserts. */
  const snapshot = () => t.query('SELECT * FROM aura_users ORDER BY aura_id');
  const auditCount = async () => (await t.query('SELECT id FROM audit_events')).length;

  async function expectRefused(
    request: Parameters<TestApp['request']>[0],
    field: string,
    code = 'validation_failed',
  ): Promise<void> {
    const before = await snapshot();
    const audits = await auditCount();
    const response = await t.request(request);
    expect({ status: response.statusCode, type: response.headers['content-type'] }).toEqual({
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    const problem = response.json();
    expect(problem.code).toBe(code);
    expect(problem.errors.map((error: { field: string }) => error.field)).toContain(field);
    expect(await snapshot()).toEqual(before);
    expect(await auditCount()).toBe(audits);
  }

  const long = (length: number) => 'x'.repeat(length);
  const base = 'channel=webchat&userId=u-2&authorizationId=a-2';

  describe('GET /users/aura-id', () => {
    const get = (query: string) => ({ method: 'GET' as const, url: `/users/aura-id?${query}` });

    it.each([
      ['a missing userId', 'channel=webchat&authorizationId=a-2', 'userId'],
      ['an overlong userId', `channel=webchat&authorizationId=a-2&userId=${long(129)}`, 'userId'],
      ['SQL in userId', `channel=webchat&authorizationId=a-2&userId=${encodeURIComponent("u' OR '1'='1")}`, 'userId'],
      ['Unicode in userId', `channel=webchat&authorizationId=a-2&userId=${encodeURIComponent('usér😀')}`, 'userId'],
      ['a repeated userId (array)', `channel=webchat&authorizationId=a-2&userId=u-2&userId=u-3`, 'userId'],
      ['an overlong authorizationId', `channel=webchat&userId=u-2&authorizationId=${long(257)}`, 'authorizationId'],
      ['an unknown parameter', `${base}&isAdmin=true`, 'isAdmin'],
      ['an invalid phone number', `${base}&phoneNumber=12`, 'phoneNumber'],
      ['letters in the phone number', `${base}&phoneNumber=600abc000`, 'phoneNumber'],
      ['an overlong phone number', `${base}&phoneNumber=${'6'.repeat(40)}`, 'phoneNumber'],
      ['an invalid subscription type', `${base}&subscriptionType=gold`, 'subscriptionType'],
      ['an invalid channel', `channel=${encodeURIComponent('Web Chat;--')}&userId=u-2&authorizationId=a-2`, 'channel'],
      ['an overlong channel', `channel=${long(65)}&userId=u-2&authorizationId=a-2`, 'channel'],
      ['no channel from an unbound key', 'userId=u-2&authorizationId=a-2', 'channel'],
      ['an expiry that is not a date', `${base}&expiresAt=tomorrow`, 'expiresAt'],
      ['an expiry in the past', `${base}&expiresAt=2001-01-01T00:00:00Z`, 'expiresAt'],
      ['an overlong auraIdGlobal', `${base}&auraIdGlobal=${long(129)}`, 'auraIdGlobal'],
    ])('should refuse %s', (_case, query, field) => expectRefused({ ...get(query), headers: kernel }, field));
  });

  describe('GET /users/aura-id/{auraId}', () => {
    const get = (auraId: string, query = 'channel=webchat') => ({
      method: 'GET' as const,
      url: `/users/aura-id/${auraId}?${query}`,
    });

    it.each([
      ['an overlong auraId', get(long(129)), 'auraId'],
      ['SQL in the auraId', get(encodeURIComponent("x';DROP TABLE aura_users;--")), 'auraId'],
      ['Unicode in the auraId', get(encodeURIComponent('wa-ü😀')), 'auraId'],
      ['an auraId with a space', get('wa%201'), 'auraId'],
      ['an auraId with a percent sign', get('wa%251'), 'auraId'],
      ['an invalid phone number', get('wa-1', 'channel=webchat&phoneNumber=%2B999'), 'phoneNumber'],
      ['an unknown parameter', get('wa-1', 'channel=webchat&userType=authenticated'), 'userType'],
      ['an invalid channel', get('wa-1', 'channel=%00'), 'channel'],
    ])('should refuse %s', (_case, request, field) => expectRefused({ ...request, headers: bot }, field));
  });

  describe('POST /users/{auraId}', () => {
    const context = { userId: 'u-9', authorizationId: 'a-9' };
    const post = (payload: unknown, auraId = EXISTING) => ({
      method: 'POST' as const,
      url: `/users/${auraId}`,
      payload: payload as Record<string, unknown>,
    });

    it.each([
      // Without an authenticationContext member the body is the context itself (docs/users.md, issue 28.3).
      ['a missing context', post({ channel: 'webchat' }), 'authenticationContext.userId'],
      ['an empty body', post({}), 'authenticationContext.authorizationId'],
      [
        'a context that is a string',
        post({ channel: 'webchat', authenticationContext: 'ctx' }),
        'authenticationContext',
      ],
      [
        'a context that is an array',
        post({ channel: 'webchat', authenticationContext: [context] }),
        'authenticationContext',
      ],
      [
        'a numeric userId',
        post({ channel: 'webchat', authenticationContext: { ...context, userId: 42 } }),
        'authenticationContext.userId',
      ],
      [
        'a missing authorizationId',
        post({ channel: 'webchat', authenticationContext: { userId: 'u-9' } }),
        'authenticationContext.authorizationId',
      ],
      [
        'an overlong userId',
        post({ channel: 'webchat', authenticationContext: { ...context, userId: long(129) } }),
        'authenticationContext.userId',
      ],
      [
        'SQL in the authorizationId',
        post({
          channel: 'webchat',
          authenticationContext: { ...context, authorizationId: "a'; DELETE FROM aura_users;--" },
        }),
        'authenticationContext.authorizationId',
      ],
      [
        'an unknown top-level field',
        post({ channel: 'webchat', authenticationContext: context, userType: 'authenticated' }),
        'userType',
      ],
      [
        'an invalid subscription type',
        post({ channel: 'webchat', authenticationContext: { ...context, subscriptionType: 'gold' } }),
        'authenticationContext.subscriptionType',
      ],
      [
        'an invalid phone number',
        post({ channel: 'webchat', authenticationContext: { ...context, phoneNumber: '+34 123' } }),
        'authenticationContext.phoneNumber',
      ],
      [
        'a phone number of the wrong type',
        post({ channel: 'webchat', authenticationContext: { ...context, phoneNumber: 600000000 } }),
        'authenticationContext.phoneNumber',
      ],
      [
        'a LoA out of range',
        post({ channel: 'webchat', authenticationContext: { ...context, loa: 9 } }),
        'authenticationContext.loa',
      ],
      [
        'a LoA as text',
        post({ channel: 'webchat', authenticationContext: { ...context, loa: '2' } }),
        'authenticationContext.loa',
      ],
      [
        'scopes that are not a list',
        post({ channel: 'webchat', authenticationContext: { ...context, scopes: 'read' } }),
        'authenticationContext.scopes',
      ],
      [
        'a scope with spaces',
        post({ channel: 'webchat', authenticationContext: { ...context, scopes: ['read all'] } }),
        'authenticationContext.scopes',
      ],
      [
        'too many purposes',
        post({ channel: 'webchat', authenticationContext: { ...context, purposes: Array(65).fill('p') } }),
        'authenticationContext.purposes',
      ],
      [
        'an expiry in the past',
        post({ channel: 'webchat', authenticationContext: { ...context, expiresAt: '2020-01-01T00:00:00Z' } }),
        'authenticationContext.expiresAt',
      ],
      [
        'an expiry that is not a date',
        post({ channel: 'webchat', authenticationContext: { ...context, expiresAt: 1_900_000_000 } }),
        'authenticationContext.expiresAt',
      ],
      [
        'oversized extra Kernel fields',
        post({ channel: 'webchat', authenticationContext: { ...context, blob: long(5000) } }),
        'authenticationContext.additionalFields',
      ],
      [
        'a NUL character in extra fields',
        post({ channel: 'webchat', authenticationContext: { ...context, note: 'a\u0000b' } }),
        'authenticationContext.additionalFields',
      ],
      [
        'an unpaired surrogate in extra fields',
        post({ channel: 'webchat', authenticationContext: { ...context, note: 'a\ud800b' } }),
        'authenticationContext.additionalFields',
      ],
      ['an invalid channel', post({ channel: 'WEB CHAT', authenticationContext: context }), 'channel'],
      ['a channel of the wrong type', post({ channel: ['webchat'], authenticationContext: context }), 'channel'],
      [
        'an invalid channel in the context',
        post({ authenticationContext: { ...context, channel: 'WEB CHAT' } }, 'wa-new-bad-context-channel'),
        'authenticationContext.channel',
      ],
      ['an overlong auraId', post({ channel: 'webchat', authenticationContext: context }, long(129)), 'auraId'],
      [
        'Unicode in the auraId',
        post({ channel: 'webchat', authenticationContext: context }, encodeURIComponent('ü')),
        'auraId',
      ],
    ])('should refuse %s', (_case, request, field) => expectRefused({ ...request, headers: bot }, field));

    // `null` is neither a value nor an absence: each optional member sent as null is a 400 naming it.
    const nulls: [string, ReturnType<typeof post>][] = [
      ['channel', post({ channel: null, authenticationContext: context }, 'wa-null-channel')],
      ...['auraIdGlobal', 'phoneNumber', 'subscriptionType', 'loa', 'scopes', 'purposes', 'expiresAt'].map(
        (member): [string, ReturnType<typeof post>] => [
          `authenticationContext.${member}`,
          post({ channel: 'webchat', authenticationContext: { ...context, [member]: null } }, 'wa-null-member'),
        ],
      ),
    ];
    it.each(nulls)('should refuse %s sent as null with 400, writing nothing', (field, request) =>
      expectRefused({ ...request, headers: bot }, field),
    );

    it('should refuse malformed JSON with 400 malformed_json', async () => {
      const response = await t.request({
        method: 'POST',
        url: '/users/wa-json',
        headers: { ...bot, 'content-type': 'application/json' },
        payload: '{"channel": "webchat", "authenticationContext": {',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('malformed_json');
    });

    it('should refuse a body over BODY_LIMIT_BYTES with 413 payload_too_large', async () => {
      const response = await t.request({
        method: 'POST',
        url: '/users/wa-big',
        headers: { ...bot, 'content-type': 'application/json' },
        payload: JSON.stringify({
          channel: 'webchat',
          authenticationContext: { blob: long(t.config.get(ServerSettings).BODY_LIMIT_BYTES) },
        }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json().code).toBe('payload_too_large');
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
      'should refuse a body of type %s with 415 unsupported_media_type',
      async (contentType) => {
        const response = await t.request({
          method: 'POST',
          url: '/users/wa-text',
          headers: { ...bot, 'content-type': contentType },
          payload: 'channel=webchat',
        });
        expect(response.statusCode).toBe(415);
        expect(response.json().code).toBe('unsupported_media_type');
      },
    );

    it('should refuse a JSON body with a __proto__ member', async () => {
      const response = await t.request({
        method: 'POST',
        url: '/users/wa-proto',
        headers: { ...bot, 'content-type': 'application/json' },
        payload:
          '{"channel":"webchat","authenticationContext":{"userId":"u","authorizationId":"a","__proto__":{"x":1}}}',
      });
      expect(response.statusCode).toBe(400);
      expect(await t.query('SELECT 1 FROM aura_users WHERE aura_id = $1', ['wa-proto'])).toHaveLength(0);
    });
  });

  describe('POST /users/{auraId}: limits the database enforces', () => {
    it('should refuse a context whose whole size exceeds what is stored, naming it', () =>
      expectRefused(
        {
          method: 'POST',
          url: `/users/${EXISTING}`,
          headers: bot,
          payload: {
            channel: 'webchat',
            authenticationContext: {
              userId: 'u-9',
              authorizationId: 'a-9',
              scopes: Array.from({ length: 64 }, (_, i) => `scope-${i}-${'s'.repeat(118)}`),
            },
          },
        },
        'authenticationContext',
      ));

    it('should refuse a body nested deeper than 32 levels with 400 malformed_json, writing nothing', async () => {
      const before = await snapshot();
      const response = await t.request({
        method: 'POST',
        url: '/users/wa-deep',
        headers: { ...bot, 'content-type': 'application/json' },
        payload: `{"channel":"webchat","x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().code).toBe('malformed_json');
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('GET and DELETE /users/{auraId}', () => {
    it.each([
      ['GET', long(129)],
      ['GET', encodeURIComponent("' OR 1=1 --")],
      ['GET', encodeURIComponent('ü😀')],
      ['DELETE', long(129)],
      ['DELETE', encodeURIComponent("existing-user' OR '1'='1")],
      ['DELETE', encodeURIComponent('exïsting')],
    ] as const)('should refuse %s of a malformed auraId', (method, auraId) =>
      expectRefused({ method, url: `/users/${auraId}`, headers: bot }, 'auraId'),
    );
  });

  describe('GET /users/aura-id-global/{aura_id_global}', () => {
    const get = (value: string, query = 'channel=webchat') => ({
      method: 'GET' as const,
      url: `/users/aura-id-global/${value}?${query}`,
    });

    it.each([
      ['an overlong auraIdGlobal', get(long(129)), 'aura_id_global'],
      ['SQL in the auraIdGlobal', get(encodeURIComponent("g' OR '1'='1")), 'aura_id_global'],
      ['Unicode in the auraIdGlobal', get(encodeURIComponent('gløbal')), 'aura_id_global'],
      ['an unknown parameter', get('g-1', 'channel=webchat&limit=10'), 'limit'],
      ['an invalid channel', get('g-1', `channel=${encodeURIComponent('<script>')}`), 'channel'],
      ['no channel from an unbound key', get('g-1', ''), 'channel'],
    ])('should refuse %s', (_case, request, field) => expectRefused({ ...request, headers: kernel }, field));
  });
});

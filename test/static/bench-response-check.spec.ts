import { type Answer, differences, shapeOf } from '../../bench/response-check';

const service: Answer = {
  status: 200,
  headers: {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-request-id': 'a',
    'x-ratelimit-limit': '100',
    'x-ratelimit-remaining': '99',
    date: 'Mon, 07 Dec 2026 01:00:00 GMT',
  },
  cookies: ['authara_access; Max-Age; Path=/; HttpOnly; Secure; SameSite=Lax'],
  body: { auraId: 'x', authenticationContext: { loa: 2, scopes: ['profile'] }, phoneNumber: null },
};

describe('the bench response check (bench/response-check.ts)', () => {
  it('should find no difference between answers that differ only per response', () => {
    const other: Answer = {
      ...service,
      headers: { ...service.headers, 'x-request-id': 'b', 'x-ratelimit-remaining': '7', date: 'other' },
      body: { phoneNumber: null, authenticationContext: { scopes: ['chat'], loa: 3 }, auraId: 'y' },
    };
    expect(differences(service, other)).toEqual([]);
  });

  it('should report a missing header, a missing request id, another status and another body shape', () => {
    const { 'cache-control': _cache, 'x-request-id': _id, ...headers } = service.headers;
    const other: Answer = {
      ...service,
      status: 201,
      headers,
      body: { auraId: 'x', authenticationContext: 'sealed', phoneNumber: null },
    };
    expect(differences(service, other)).toEqual([
      'status 201, expected 200',
      'header cache-control: (none), expected no-store',
      'header x-request-id missing',
      expect.stringMatching(/^body shape /),
    ]);
  });

  it('should report cookies of other names or attributes', () => {
    const other: Answer = { ...service, cookies: ['authara_access; Max-Age; Path=/; Secure; SameSite=Lax'] };
    expect(differences(service, other)).toEqual([expect.stringMatching(/^cookies /)]);
  });

  it('should describe a value by its members and their types at any depth', () => {
    expect(shapeOf({ b: [{ c: 1 }], a: null, d: [] })).toEqual({ a: 'null', b: [{ c: 'number' }], d: ['empty'] });
  });
});

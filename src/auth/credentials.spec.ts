import type { FastifyRequest } from 'fastify';
import { presentedApiKey, presentedDeviceToken } from 'src/auth/credentials';

const request = (headers: Record<string, string>, query: Record<string, string> = {}) =>
  ({ headers, query }) as unknown as FastifyRequest;

describe('presentedApiKey', () => {
  it('should read Authorization: APIKEY with the scheme in any case, and X-API-Key', () => {
    for (const scheme of ['APIKEY', 'ApiKey', 'apikey']) {
      expect(presentedApiKey(request({ authorization: `${scheme} aak_test_k` }), false)).toEqual({
        key: 'aak_test_k',
        unusable: false,
      });
    }
    expect(presentedApiKey(request({ 'x-api-key': 'aak_test_k' }), false)).toEqual({
      key: 'aak_test_k',
      unusable: false,
    });
  });

  it('should refuse two different keys, wherever they come from, and take one key sent twice', () => {
    const ambiguous = expect.objectContaining({ code: 'ambiguous_credentials', status: 400 });
    expect(() => presentedApiKey(request({ authorization: 'APIKEY a', 'x-api-key': 'b' }), false)).toThrow(ambiguous);
    expect(() => presentedApiKey(request({ 'x-api-key': 'a' }, { apiKey: 'b' }), true)).toThrow(ambiguous);
    expect(presentedApiKey(request({ authorization: 'APIKEY a', 'x-api-key': 'a' }), false).key).toBe('a');
  });

  it('should read the query key only where it is enabled', () => {
    expect(presentedApiKey(request({}, { apiKey: 'q' }), false)).toEqual({ key: undefined, unusable: false });
    expect(presentedApiKey(request({}, { apiKey: 'q' }), true).key).toBe('q');
    // Disabled, a query key cannot make a header key ambiguous either: it is not a credential then.
    expect(presentedApiKey(request({ 'x-api-key': 'a' }, { apiKey: 'q' }), false).key).toBe('a');
  });

  it('should call a key header without a usable key unusable, and no header at all absent', () => {
    expect(presentedApiKey(request({ authorization: 'Bearer abc' }), false)).toEqual({
      key: undefined,
      unusable: true,
    });
    expect(presentedApiKey(request({ authorization: 'APIKEY ' }), false)).toEqual({ key: undefined, unusable: true });
    expect(presentedApiKey(request({ 'x-api-key': '' }), false)).toEqual({ key: undefined, unusable: true });
    expect(presentedApiKey(request({}), false)).toEqual({ key: undefined, unusable: false });
  });
});

describe('presentedDeviceToken', () => {
  it('should take ?token= as GVP sends it, else the X-GVP-Token header', () => {
    expect(presentedDeviceToken(request({ 'x-gvp-token': 'h' }, { token: 'q' }))).toBe('q');
    expect(presentedDeviceToken(request({ 'x-gvp-token': 'h' }))).toBe('h');
    expect(presentedDeviceToken(request({}, { token: '' }))).toBeUndefined();
  });
});

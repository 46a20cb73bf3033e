import { loadConfig } from 'src/config/app-config';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { openApiContract } from '../support/openapi-contract';
import { SecretLedger } from '../support/secret-ledger';
import { assertNothingLeaked, CapturedLogs } from '../support/test-app';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';

/** The checks every e2e file relies on must be able to fail: each is shown a violation it has to catch. */
describe('the checks of the test app', () => {
  describe('OpenAPI contract', () => {
    const contract = openApiContract();
    const user = {
      auraId: 'a1',
      auraIdGlobal: 'g',
      userId: 'u',
      channel: 'web',
      userType: 'identifiable',
      subscriptionType: null,
      phoneNumber: null,
      authorizationId: null,
      authenticationContext: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-02-01T00:00:00.000Z',
    };
    const problem = (status: number, code: string) =>
      JSON.stringify({ type: `urn:x:${code}`, title: 't', status, detail: 'd', instance: 'i', code, requestId: 'r' });
    const check = (route: string | undefined, statusCode: number, body: unknown, contentType = 'application/json') =>
      contract.check({
        method: 'GET',
        route,
        statusCode,
        contentType: `${contentType}; charset=utf-8`,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    it('should accept a documented answer', () => {
      expect(check('/users/:auraId', 200, user)).toEqual([]);
      expect(check('/users/:auraId', 404, problem(404, 'user_not_found'), 'application/problem+json')).toEqual([]);
    });

    it('should refuse an undocumented status, member, type or null, and an error that is not a problem', () => {
      expect(check('/users/:auraId', 418, problem(418, 'teapot'), 'application/problem+json')).toEqual([
        expect.stringContaining('status 418 is not documented'),
      ]);
      expect(check('/users/:auraId', 200, { ...user, secretField: 1 })).toEqual([
        expect.stringContaining('must NOT have additional properties ("secretField")'),
      ]);
      expect(check('/users/:auraId', 200, { ...user, channel: 7 })).toEqual([expect.stringContaining('/channel')]);
      expect(check('/users/:auraId', 200, { ...user, auraId: null })).not.toEqual([]);
      expect(check('/users/:auraId', 404, { message: 'nope' })).toEqual(
        expect.arrayContaining([expect.stringContaining('must be application/problem+json')]),
      );
      expect(check(undefined, 200, {})).toEqual([expect.stringContaining('route the document does not have')]);
    });

    it('should leave the routes the document omits on purpose alone', () => {
      expect(check('/metrics', 200, 'text', 'text/plain')).toEqual([]);
    });
  });

  describe('secrets and personal data scan', () => {
    const config = loadConfig({ NODE_ENV: 'test', DIRECTLINE_SECRET: 'a-direct-line-secret' });
    const key = 'aak_test_0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';

    function scan(lines: string[], problems: string[] = [], setUp: (ledger: SecretLedger) => void = () => undefined) {
      const ledger = new SecretLedger(config);
      setUp(ledger);
      const logs = new CapturedLogs();
      logs.lines.push(...lines);
      return () => assertNothingLeaked(ledger, logs, problems);
    }

    it('should pass clean logs and bodies', () => {
      expect(
        scan(['{"message":"request completed","route":"/users/:auraId"}'], ['{"code":"x"}'], (l) => l.addApiKey(key)),
      ).not.toThrow();
    });

    it('should catch a key, its secret part, a configured secret, a phone number in any writing, a callback value', () => {
      expect(scan([`{"message":"${key}"}`], [], (l) => l.addApiKey(key))).toThrow('API key');
      expect(scan([`{"x":"${key.slice(-43)}"}`], [], (l) => l.addApiKey(key))).toThrow('API key secret');
      expect(scan(['{"x":"a-direct-line-secret"}'])).toThrow('DIRECTLINE_SECRET');
      expect(scan([], ['{"detail":"612345678 is wrong"}'], (l) => l.addPhoneNumber('+34 612 34 56 78'))).toThrow(
        'phone number (national digits) in problem body 1',
      );
      expect(scan(['{"x":"+34612345678"}'])).toThrow('E.164-looking number');
      const cipher = new CallbackCipher(parseCipherKeys(config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
      const sealed = sealPayload(cipher, CallbackPurpose.Login, { channel: 'web', userId: 'u', authorizationId: 'a' });
      expect(
        scan([`{"data":"${sealed}"}`], [], (l) => l.observeRequest({ method: 'GET', url: `/x?data=${sealed}` })),
      ).toThrow('sealed callback value');
    });

    it('should never print the secret it found', () => {
      expect(scan([`{"message":"${key}"}`], [], (l) => l.addApiKey(key))).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining(key.slice(-43)) }),
      );
    });
  });
});

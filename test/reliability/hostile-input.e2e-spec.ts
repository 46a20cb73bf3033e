import { exportJWK, generateKeyPair } from 'jose';
import fc from 'fast-check';
import { Tier } from 'src/auth/tier';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { databaseFingerprint } from '../support/database-state';
import { DirectLineStub } from '../support/directline-stub';
import { openApiContract } from '../support/openapi-contract';
import { auraIdStrings, HOSTILE_STRINGS, requestsFor, type FuzzContext } from '../support/openapi-fuzz';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';

/** Requests per operation; FUZZ_RUNS=2000 for a long run. The seed is fixed unless FUZZ_SEED says otherwise. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 80);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);
const SECRET = 'stub-directline-secret-fuzz';

/**
 * Every operation of the committed OpenAPI document, fuzzed from its own schemas. Each response must be a
 * documented status with a body valid for it (checked by the test app on every request), never a 5xx, and
 * a refused request must leave every table exactly as it was.
 */
describe('hostile input, generated from the OpenAPI document', () => {
  let t: TestApp;
  let stub: DirectLineStub;
  let context: FuzzContext;
  const tally = new Map<string, Map<number, number>>();
  const document = openApiContract().document;
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => [method.toUpperCase(), path] as const),
  );

  beforeAll(async () => {
    stub = await DirectLineStub.start({ secret: SECRET });
    const gvpKey = await exportJWK((await generateKeyPair('ES256')).publicKey);
    t = await createTestApp({
      // GVP sign-in configured (fuzzed device tokens never verify, so Kernel is never reached).
      GVP_JWKS: JSON.stringify({ keys: [{ ...gvpKey, kid: 'gvp-fuzz', alg: 'ES256' }] }),
      GVP_ISSUER: 'https://gvp.example.test',
      GVP_AUDIENCE: 'aura-authentication-api',
      KERNEL_TOKEN_URL: 'http://127.0.0.1:9/oauth/token',
      KERNEL_USERPROFILE_URL: 'http://127.0.0.1:9/userprofile',
      KERNEL_CLIENT_ID: 'aura-fuzz',
      KERNEL_CLIENT_SECRET: 'fuzz-kernel-client-secret',
      RATE_LIMIT_LIMIT: '10000000',
      DIRECTLINE_SECRET: SECRET,
      DIRECTLINE_BASE_URL: stub.url,
      CALLBACK_REDIRECT_ALLOWLIST: 'https://web.aura.example',
    });
    const keys: Record<string, string> = {};
    for (const tier of Object.values(Tier)) {
      keys[tier] = (await t.createKey(tier)).key;
    }
    context = {
      document,
      keys,
      special: {
        data: sealedData(new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS))),
        auraId: auraIdStrings,
      },
    };
    // Records under the documented examples, so that reads, upgrades and deletions find something.
    const seeded = await t.request({
      method: 'POST',
      url: '/users/q3Xv9kR2mT8wYp1LzN4bC6dF0gH5jK7s',
      headers: apiKeyHeader(keys.internal),
      payload: {
        channel: 'whatsapp-es',
        authenticationContext: { userId: 'u-seed', authorizationId: 'a-seed', phoneNumber: '+34600000000' },
      },
    });
    expect(seeded.statusCode).toBe(201);
  });
  afterAll(async () => {
    const rows = [...tally].map(([operation, statuses]) => {
      const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
      const spread = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
      return { operation, total, line: `${operation.padEnd(58)} ${String(total).padStart(5)}  ${spread.join(' ')}` };
    });
    const total = rows.reduce((sum, row) => sum + row.total, 0);
    console.log(
      `hostile input: ${total} requests fuzzed over ${rows.length} operations (seed ${SEED}, ${RUNS} runs each)\n` +
        rows.map((row) => row.line).join('\n'),
    );
    try {
      await t?.close();
    } finally {
      await stub?.close();
    }
  });

  it.each(operations)(
    'should answer %s %s only with documented statuses, never a 5xx, and write nothing when it refuses',
    async (method, path) => {
      const statuses = new Map<number, number>();
      tally.set(`${method} ${path}`, statuses);
      let before: Record<string, string> | undefined;
      await fc.assert(
        fc.asyncProperty(requestsFor(context, path, method.toLowerCase()), async (request) => {
          before ??= await databaseFingerprint(t);
          const expected = before;
          before = undefined;
          if (process.env.FUZZ_TRACE) {
            // Each request as it goes out, to find the one a hang or a crash follows.
            const body = typeof request.payload === 'string' ? request.payload.slice(0, 100) : '';
            process.stderr.write(`${request.method} ${request.url.slice(0, 200)} ${body}\n`);
          }
          const response = await t.request(request);
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          expect(response.statusCode).toBeLessThan(500);
          const after = await databaseFingerprint(t);
          if (response.statusCode >= 400) {
            expect(after).toEqual(expected);
          }
          before = after;
        }),
        { seed: SEED, numRuns: RUNS },
      );
    },
  );
});

/**
 * The callbacks' `data`: authentic sealed values (so that the payload's own validation is reached) carrying
 * hostile payloads, next to random strings that the generic generator adds for every parameter.
 */
function sealedData(cipher: CallbackCipher): fc.Arbitrary<string> {
  const hostile = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.jsonValue({ maxDepth: 2 }));
  const member = <T>(plausible: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 5, arbitrary: plausible }, { weight: 1, arbitrary: hostile });
  const payload = fc.record(
    {
      channel: member(fc.constantFrom('web', 'webchat', 'living-tv')),
      userId: member(fc.stringMatching(/^u-[a-z0-9]{1,6}$/)),
      authorizationId: member(fc.stringMatching(/^a-[a-z0-9]{1,6}$/)),
      auraId: member(
        fc.oneof(
          fc.stringMatching(/^[A-Za-z0-9_-]{8,32}$/),
          fc.string({ unit: fc.integer({ min: 0x20, max: 0x7f }).map(String.fromCharCode), maxLength: 130 }),
        ),
      ),
      phoneNumber: member(fc.integer({ min: 0, max: 99_999_999 }).map((n) => `+346${String(n).padStart(8, '0')}`)),
      auraIdGlobal: member(fc.uuid()),
      subscriptionType: member(fc.constantFrom('postpaid', 'prepaid', 'hybrid', 'control')),
      redirectUri: member(
        fc.constantFrom('https://web.aura.example/done', 'https://evil.example/', 'javascript:alert(1)'),
      ),
      iat: member(fc.constant(Math.floor(Date.now() / 1000))),
      exp: member(fc.constant(Math.floor(Date.now() / 1000) + 300)),
      jti: member(fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/)),
    },
    { requiredKeys: [] },
  );
  const purpose = fc.constantFrom(CallbackPurpose.Login, CallbackPurpose.Logout);
  const sealedPayload = fc
    .tuple(payload, purpose)
    .map(([fields, sealedFor]) => sealPayload(cipher, sealedFor, fields as Record<string, unknown>));
  const sealedText = fc
    .tuple(
      fc.oneof(
        fc.constantFrom('', 'null', '[]', '"x"', '{"channel":"web"', '\ufeff{}'),
        fc.integer({ min: 33, max: 1400 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
        fc.string({ unit: 'binary', maxLength: 60 }),
      ),
      purpose,
    )
    .map(([text, sealedFor]) => cipher.seal(sealedFor, text));
  return fc
    .oneof({ weight: 3, arbitrary: sealedPayload }, { weight: 1, arbitrary: sealedText })
    .map((sealed) => encodeURIComponent(sealed));
}

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CallbackCipher, CallbackPurpose, parseCipherKeys } from 'src/callbacks/callback-cipher';

const KEY_A = Buffer.alloc(32, 1);
const KEY_B = Buffer.alloc(32, 2);
const cipher = new CallbackCipher([{ kid: 'a', key: KEY_A }]);
const PAYLOAD = JSON.stringify({ auraId: 'x', channel: 'web', exp: 1 });

function flipCharacter(text: string, index: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const current = alphabet.indexOf(text[index]);
  return text.slice(0, index) + alphabet[(current + 1) % alphabet.length] + text.slice(index + 1);
}

describe('CallbackCipher (format v1)', () => {
  it('should round-trip a payload for its purpose', () => {
    const sealed = cipher.seal(CallbackPurpose.Login, PAYLOAD);
    expect(sealed).toMatch(/^v1\.a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(cipher.open(sealed, CallbackPurpose.Login)).toEqual({ ok: true, purpose: 'login', plaintext: PAYLOAD });
  });

  it('should use a fresh IV each time', () => {
    expect(cipher.seal(CallbackPurpose.Login, PAYLOAD)).not.toBe(cipher.seal(CallbackPurpose.Login, PAYLOAD));
  });

  it('should refuse a token on the other purpose path, and say so', () => {
    expect(cipher.open(cipher.seal(CallbackPurpose.Login, PAYLOAD), CallbackPurpose.Logout)).toEqual({
      ok: false,
      reason: 'wrong_purpose',
    });
    expect(cipher.open(cipher.seal(CallbackPurpose.Logout, PAYLOAD), CallbackPurpose.Login)).toEqual({
      ok: false,
      reason: 'wrong_purpose',
    });
  });

  it('should refuse every single-character change of IV, ciphertext and tag', () => {
    const sealed = cipher.seal(CallbackPurpose.Logout, PAYLOAD);
    const start = sealed.indexOf('.', 3) + 1;
    for (let index = start; index < sealed.length; index++) {
      if (sealed[index] === '.') {
        continue;
      }
      const result = cipher.open(flipCharacter(sealed, index), CallbackPurpose.Logout);
      expect({ index, ok: result.ok }).toEqual({ index, ok: false });
    }
  });

  it('should refuse every bit flip of the decoded IV, ciphertext and tag', () => {
    const sealed = cipher.seal(CallbackPurpose.Login, PAYLOAD);
    const [version, kid, ...parts] = sealed.split('.');
    parts.forEach((part, partIndex) => {
      const bytes = Buffer.from(part, 'base64url');
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const tampered = Buffer.from(bytes);
        tampered[bit >> 3] ^= 1 << (bit & 7);
        const rebuilt = parts.map((original, i) => (i === partIndex ? tampered.toString('base64url') : original));
        expect(cipher.open([version, kid, ...rebuilt].join('.'), CallbackPurpose.Login).ok).toBe(false);
      }
    });
  });

  it('should refuse truncated tokens as malformed or invalid', () => {
    const sealed = cipher.seal(CallbackPurpose.Login, PAYLOAD);
    for (let length = 0; length < sealed.length; length++) {
      const result = cipher.open(sealed.slice(0, length), CallbackPurpose.Login);
      expect(result.ok).toBe(false);
      expect(['malformed', 'invalid']).toContain(!result.ok && result.reason);
    }
  });

  it('should refuse an unknown key id, and a key id swapped in', () => {
    const sealed = cipher.seal(CallbackPurpose.Login, PAYLOAD);
    expect(cipher.open(sealed.replace('v1.a.', 'v1.zz.'), CallbackPurpose.Login)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
    const both = new CallbackCipher([
      { kid: 'b', key: KEY_A },
      { kid: 'a', key: KEY_A },
    ]);
    // Same key material under another kid: the kid is authenticated too.
    expect(both.open(sealed.replace('v1.a.', 'v1.b.'), CallbackPurpose.Login)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('should open tokens sealed with an older key after rotation, and seal with the first key', () => {
    const before = new CallbackCipher([{ kid: 'old', key: KEY_A }]);
    const after = new CallbackCipher([
      { kid: 'new', key: KEY_B },
      { kid: 'old', key: KEY_A },
    ]);
    const old = before.seal(CallbackPurpose.Login, PAYLOAD);
    expect(after.open(old, CallbackPurpose.Login)).toMatchObject({ ok: true, plaintext: PAYLOAD });
    expect(after.seal(CallbackPurpose.Login, PAYLOAD).startsWith('v1.new.')).toBe(true);
    expect(before.open(after.seal(CallbackPurpose.Login, PAYLOAD), CallbackPurpose.Login)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('should match the documented test vector', () => {
    // The README's vector: key k1 = 32 bytes 0x00..0x1f, IV = 12 bytes 0x00..0x0b.
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const vector = new CallbackCipher([{ kid: 'k1', key }]);
    const plaintext =
      '{"channel":"web","userId":"u-1","authorizationId":"a-1","iat":1700000000,"exp":1700000300,"jti":"5f0c6a1e-8d2b-4f3a-9c1d-2e3f4a5b6c7d"}';
    const sealed = 'v1.k1.AAECAwQFBgcICQoL.' + TEST_VECTOR_CIPHERTEXT + '.' + TEST_VECTOR_TAG;
    expect(vector.open(sealed, CallbackPurpose.Login)).toEqual({ ok: true, purpose: 'login', plaintext });
  });

  it('should never throw on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 5000 }),
        fc.constantFrom(CallbackPurpose.Login, CallbackPurpose.Logout),
        (text, purpose) => {
          expect(cipher.open(text, purpose).ok).toBe(false);
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const sealed = `v1.a.${randomBytes(12).toString('base64url')}.${Buffer.from(bytes).toString('base64url') || 'AA'}.${randomBytes(16).toString('base64url')}`;
        expect(cipher.open(sealed, CallbackPurpose.Login).ok).toBe(false);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe('parseCipherKeys', () => {
  it('should read kid:key pairs in base64url or base64, first one first', () => {
    const keys = parseCipherKeys(`k2:${KEY_B.toString('base64url')},k1:${KEY_A.toString('base64')}`);
    expect(keys.map((key) => key.kid)).toEqual(['k2', 'k1']);
    expect(keys[1].key.equals(KEY_A)).toBe(true);
  });

  it('should refuse a key of the wrong length', () => {
    expect(() => parseCipherKeys(`k:${Buffer.alloc(16).toString('base64url')}`)).toThrow('32 bytes');
  });
});

const TEST_VECTOR_CIPHERTEXT =
  'PCC1c6SLrH7hY62pxowaT6_08keVCRYYGl3H8DBYIp4jcduIx65g8Q7FC4Tn6WFczGNC7HfngfYd_kttOtnE2cAM9krj4RZRMHbPFp-tNNkPuvlSRlNgWM3RvKYMmZu36c0_1sd3qSv7MQbWehcMS9xUA4baphT-YM0y_uTSDzvZZGPx0PW2';
const TEST_VECTOR_TAG = 'L3RDsONMEhRK9WT6j8D6gg';

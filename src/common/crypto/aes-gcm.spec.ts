import { randomBytes } from 'node:crypto';
import { aesGcmOpen, aesGcmSeal, IV_BYTES } from 'src/common/crypto/aes-gcm';

describe('aesGcmSeal', () => {
  const key = randomBytes(32);
  const aad = Buffer.from('test:aad');

  it('should give every value its own IV, across the blocks IVs are cut from, and open each one back', () => {
    const sealed = Array.from({ length: 2_000 }, (_, i) => ({
      plaintext: `value ${i}`,
      parts: aesGcmSeal(key, `value ${i}`, aad),
    }));
    const ivs = new Set(sealed.map(({ parts }) => parts.iv.toString('hex')));
    expect(ivs.size).toBe(sealed.length);
    for (const { plaintext, parts } of sealed) {
      expect(parts.iv).toHaveLength(IV_BYTES);
      expect(aesGcmOpen(key, parts, aad)?.toString('utf8')).toBe(plaintext);
    }
  });

  it('should keep an IV handed out unchanged while later values are sealed', () => {
    const first = aesGcmSeal(key, 'first', aad);
    const iv = Buffer.from(first.iv);
    for (let i = 0; i < 1_000; i++) {
      aesGcmSeal(key, 'later', aad);
    }
    expect(first.iv.equals(iv)).toBe(true);
    expect(aesGcmOpen(key, first, aad)?.toString('utf8')).toBe('first');
  });
});

/**
 * Why a secret is too weak to guard production data, or undefined. A key that anyone can guess — published
 * (the README's test vector), all one byte, a short pattern repeated, a counter, ASCII text where random
 * bytes belong, words — protects nothing however strong the cipher. Messages never quote the value.
 */

/** The README's callback test-vector key: bytes 00 01 … 1f. Published, so refused wherever a key is. */
const PUBLISHED_KEYS: ReadonlySet<string> = new Set([
  Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex'),
]);

/** Weakness of random key bytes (an AES or HMAC key given in base64). */
export function weakKeyBytes(key: Buffer): string | undefined {
  if (PUBLISHED_KEYS.has(key.toString('hex'))) {
    return 'is a published test-vector key';
  }
  const common = commonWeakness(key);
  if (common !== undefined) {
    return common;
  }
  if (key.every((byte) => byte >= 0x20 && byte < 0x7f)) {
    return 'is ASCII text, not random bytes';
  }
  if (entropyBitsPerSymbol(key) < 3.5) {
    return 'has too little entropy';
  }
  return undefined;
}

/** Weakness of a text secret (a passphrase-like HMAC key such as AUDIT_HMAC_SECRET). */
export function weakTextSecret(secret: string): string | undefined {
  const bytes = Buffer.from(secret, 'utf8');
  const common = commonWeakness(bytes);
  if (common !== undefined) {
    return common;
  }
  if (/^[A-Za-z\s._-]*$/.test(secret)) {
    return 'is made of words; use random characters (e.g. openssl rand -base64 48)';
  }
  if (entropyBitsPerSymbol(bytes) < 3) {
    return 'has too little entropy';
  }
  return undefined;
}

function commonWeakness(bytes: Buffer): string | undefined {
  if (bytes.every((byte) => byte === bytes[0])) {
    return 'is one byte repeated';
  }
  for (let period = 2; period <= bytes.length / 2; period++) {
    if (bytes.every((byte, i) => i < period || byte === bytes[i - period])) {
      return 'is a short pattern repeated';
    }
  }
  const step = (bytes[1] - bytes[0] + 256) % 256;
  if (bytes.every((byte, i) => i === 0 || (byte - bytes[i - 1] + 256) % 256 === step)) {
    return 'is a counting sequence';
  }
  return undefined;
}

/** Shannon entropy of the byte distribution, in bits per byte. */
function entropyBitsPerSymbol(bytes: Buffer): number {
  const counts = new Map<number, number>();
  for (const byte of bytes) {
    counts.set(byte, (counts.get(byte) ?? 0) + 1);
  }
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / bytes.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing shared by every value this service encrypts (callback tokens, personal data at
 * rest): a fresh 96-bit IV per value, a 128-bit tag, and additional authenticated data that binds the
 * value to its use. Opening never returns unauthenticated bytes.
 */
export const AES_KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export interface SealedParts {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** A named key of a key ring (`kid:base64key,…`): the first one seals, every one opens. */
export interface RingKey {
  kid: string;
  key: Buffer;
}

export const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * IVs are cut from a block of CSPRNG bytes drawn 6 KiB at a time: one `randomBytes` call costs about as much as
 * the rest of a seal (docs/pii.md "Cost"). Each slice is used once; a spent block is replaced, never refilled,
 * so an IV handed out never changes.
 */
const IV_BLOCK_BYTES = IV_BYTES * 512;
let ivBlock = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivBlock.length) {
    ivBlock = randomBytes(IV_BLOCK_BYTES);
    ivOffset = 0;
  }
  ivOffset += IV_BYTES;
  return ivBlock.subarray(ivOffset - IV_BYTES, ivOffset);
}

export function aesGcmSeal(key: Buffer, plaintext: Buffer | string, aad: Buffer): SealedParts {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES }).setAAD(aad);
  const ciphertext = Buffer.concat([
    typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext),
    cipher.final(),
  ]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** The plaintext, or undefined when the parts fail authentication under that key and AAD. */
export function aesGcmOpen(key: Buffer, { iv, ciphertext, tag }: SealedParts, aad: Buffer): Buffer | undefined {
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    return undefined;
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES }).setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Key bytes written in base64 or base64url. */
export function decodeKey(encoded: string): Buffer {
  return Buffer.from(encoded, /[+/]/.test(encoded) ? 'base64' : 'base64url');
}

/** Parses a key ring `kid:base64key,…` of 32-byte keys; errors name the variable and the kid, never a key. */
export function parseKeyRing(variable: string, text: string): RingKey[] {
  return text.split(',').map((pair) => {
    const [kid, encoded = ''] = pair.trim().split(':');
    if (!KID_PATTERN.test(kid)) {
      throw new Error(`${variable}: key ids must be 1-32 of A-Z a-z 0-9 _ -`);
    }
    const key = decodeKey(encoded);
    if (key.length !== AES_KEY_BYTES) {
      throw new Error(`${variable}: key "${kid}" must be ${AES_KEY_BYTES} bytes`);
    }
    return { kid, key };
  });
}

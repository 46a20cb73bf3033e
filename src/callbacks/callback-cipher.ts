import { randomUUID } from 'node:crypto';
import { aesGcmOpen, aesGcmSeal, parseKeyRing, type RingKey } from 'src/common/crypto/aes-gcm';

/**
 * The sealed callback parameter, version 1:
 *
 *   v1.<kid>.<iv>.<ciphertext>.<tag>
 *
 * AES-256-GCM; iv (12 bytes), ciphertext and tag (16 bytes) in base64url without padding; kid names
 * the key ([A-Za-z0-9_-]{1,32}). The additional authenticated data is `aura-callback:v1:<purpose>:<kid>`,
 * so a token sealed for one purpose (login, logout) fails authentication on the other path, and its
 * kid cannot be swapped. The plaintext is the UTF-8 JSON payload.
 */
export enum CallbackPurpose {
  Login = 'login',
  Logout = 'logout',
}

export const CALLBACK_PURPOSES = [CallbackPurpose.Login, CallbackPurpose.Logout] as const;

const VERSION = 'v1';
/** Longer than any legitimate payload; bounds the work an attacker can ask for. */
export const MAX_SEALED_LENGTH = 4096;
const STRUCTURE = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{22})$/;

export type OpenResult =
  | { ok: true; purpose: CallbackPurpose; plaintext: string }
  | { ok: false; reason: 'malformed' | 'unknown_key' | 'invalid' | 'wrong_purpose' };

export type CipherKey = RingKey;

/** Parses CALLBACK_CIPHER_KEYS (`kid:base64key,…`); the first key seals, every key opens. */
export function parseCipherKeys(text: string): CipherKey[] {
  return parseKeyRing('CALLBACK_CIPHER_KEYS', text);
}

function aad(purpose: CallbackPurpose, kid: string): Buffer {
  return Buffer.from(`aura-callback:${VERSION}:${purpose}:${kid}`, 'utf8');
}

export class CallbackCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly sealing: CipherKey;

  constructor(keys: CipherKey[]) {
    this.sealing = keys[0];
    this.keys = new Map(keys.map(({ kid, key }) => [kid, key]));
  }

  seal(purpose: CallbackPurpose, plaintext: string): string {
    const { kid, key } = this.sealing;
    const { iv, ciphertext, tag } = aesGcmSeal(key, plaintext, aad(purpose, kid));
    return [VERSION, kid, iv, ciphertext, tag]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Checks in an order that leaks nothing: structure, key id, then authentication (for the expected purpose). */
  open(sealed: string, expected: CallbackPurpose): OpenResult {
    const match = sealed.length <= MAX_SEALED_LENGTH ? STRUCTURE.exec(sealed) : null;
    if (match === null) {
      return { ok: false, reason: 'malformed' };
    }
    const [, kid, iv, ciphertext, tag] = match;
    const parts = [iv, ciphertext, tag].map((part) => Buffer.from(part, 'base64url'));
    // Only the canonical encoding: unused trailing bits would give one token many spellings.
    if (parts.some((bytes, i) => bytes.toString('base64url') !== [iv, ciphertext, tag][i])) {
      return { ok: false, reason: 'malformed' };
    }
    const key = this.keys.get(kid);
    if (key === undefined) {
      return { ok: false, reason: 'unknown_key' };
    }
    const plaintext = decrypt(key, kid, expected, parts);
    if (plaintext !== undefined) {
      return { ok: true, purpose: expected, plaintext };
    }
    // Tell a token meant for the other path from a forged one: authentic under the other purpose.
    const other = expected === CallbackPurpose.Login ? CallbackPurpose.Logout : CallbackPurpose.Login;
    return decrypt(key, kid, other, parts) === undefined
      ? { ok: false, reason: 'invalid' }
      : { ok: false, reason: 'wrong_purpose' };
  }
}

function decrypt(
  key: Buffer,
  kid: string,
  purpose: CallbackPurpose,
  [iv, ciphertext, tag]: Buffer[],
): string | undefined {
  return aesGcmOpen(key, { iv, ciphertext, tag }, aad(purpose, kid))?.toString('utf8');
}

/** Seals a payload as Kernel would, filling in iat, exp (now + ttl) and jti when absent (CLI and tests). */
export function sealPayload(
  cipher: CallbackCipher,
  purpose: CallbackPurpose,
  payload: Record<string, unknown>,
  ttlSeconds = 300,
): string {
  const now = Math.floor(Date.now() / 1000);
  const complete = { iat: now, exp: now + ttlSeconds, jti: randomUUID().replaceAll('-', ''), ...payload };
  return cipher.seal(purpose, JSON.stringify(complete));
}

/** What a sealed value holds, for support: its purpose and payload, or why it is refused. */
export function inspectSealed(
  cipher: CallbackCipher,
  sealed: string,
): { purpose: CallbackPurpose; payload: unknown } | { refused: string } {
  const opened = cipher.open(sealed, CallbackPurpose.Login);
  const result = opened.ok || opened.reason !== 'wrong_purpose' ? opened : cipher.open(sealed, CallbackPurpose.Logout);
  if (!result.ok) {
    return { refused: result.reason };
  }
  try {
    return { purpose: result.purpose, payload: JSON.parse(result.plaintext) as unknown };
  } catch {
    return { purpose: result.purpose, payload: result.plaintext };
  }
}

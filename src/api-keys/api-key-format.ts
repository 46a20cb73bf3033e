import { hash, randomBytes } from 'node:crypto';

/**
 * `aak_<env>_<id>_<secret>`: a fixed, greppable prefix for secret scanners, the environment tag,
 * a short public id (shown in listings) and 160 random bits of secret, all lowercase hex.
 */
const KEY_PATTERN = /^aak_([a-z0-9]{2,8})_([0-9a-f]{10})_([0-9a-f]{40})$/;
const MAX_KEY_LENGTH = 80;

export interface ParsedApiKey {
  environment: string;
  publicId: string;
}

export interface GeneratedApiKey {
  key: string;
  publicId: string;
  secretHash: string;
}

export function generateApiKey(environment: string): GeneratedApiKey {
  const publicId = randomBytes(5).toString('hex');
  const key = `aak_${environment}_${publicId}_${randomBytes(20).toString('hex')}`;
  return { key, publicId, secretHash: hashApiKey(key) };
}

/** Undefined when the text is not shaped like one of our keys (no database work is done for such input). */
export function parseApiKey(text: string): ParsedApiKey | undefined {
  if (text.length > MAX_KEY_LENGTH) {
    return undefined;
  }
  const match = KEY_PATTERN.exec(text);
  return match === null ? undefined : { environment: match[1], publicId: match[2] };
}

/**
 * Keys carry 160 random bits, so a plain SHA-256 is enough to store them safely. One-shot `hash()`: no Hash
 * object (and its handle for the garbage collector) on every authenticated request.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** How a key is shown once created: its public part only. */
export function displayPrefix(environment: string, publicId: string): string {
  return `aak_${environment}_${publicId}`;
}

import { randomBytes } from 'node:crypto';
import type { PersonalDataCipher } from 'src/users/personal-data';

/**
 * What a supplied auraId may look like (docs/users.md): 1-128 printable ASCII characters other than
 * `/ ? # %` (which would end or re-encode the path segment) and whitespace. External services (WhatsApp)
 * make them, with `+`, `:`, `@`, `=` and the like.
 */
export const AURA_ID_PATTERN = /^[\x21\x22\x24\x26-\x2e\x30-\x3e\x40-\x7e]{1,128}$/;
export const AURA_ID_MAX_LENGTH = 128;
export const AURA_ID_RULE =
  'auraId must be 1-128 printable ASCII characters other than / ? # % and whitespace, ' +
  'and not ".", "..", "aura-id", "aura-id-global" or "auraid"';

/** Path segments of other `/users/…` routes: an auraId equal to one of them could not be addressed. */
export const RESERVED_AURA_IDS: ReadonlySet<string> = new Set(['aura-id', 'aura-id-global', 'auraid']);

/** Dot segments: clients and proxies collapse them out of a URL path, so such an auraId could not be addressed. */
const DOT_SEGMENTS: ReadonlySet<string> = new Set(['.', '..']);

/** The one auraId check of every route and payload that takes an auraId. */
export function isAuraId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    AURA_ID_PATTERN.test(value) &&
    !RESERVED_AURA_IDS.has(value) &&
    !DOT_SEGMENTS.has(value)
  );
}

/** A new auraId: 192 random bits from the CSPRNG, base64url (32 characters). */
export function generateAuraId(): string {
  return randomBytes(24).toString('base64url');
}

export interface DerivedIdentifiers {
  userId: string;
  auraIdGlobal: string;
}

type Pseudonyms = Pick<PersonalDataCipher, 'pseudonym'>;

/**
 * userId and auraIdGlobal of a user Kernel does not know (docs/users.md): derived from the phone number
 * when known, so the same person gets the same values in every channel; otherwise from the channel and the
 * auraId, stable for that user in that channel. Keyed (PII_INDEX_KEY): without the key, a value cannot be
 * traced back to the number or auraId it came from.
 */
export function deriveIdentifiers(
  pseudonyms: Pseudonyms,
  source: { phoneNumber?: string | null; channel: string; auraId: string },
): DerivedIdentifiers {
  const name =
    source.phoneNumber === undefined || source.phoneNumber === null
      ? `aura:${source.channel}:${source.auraId}`
      : `tel:${source.phoneNumber}`;
  return { userId: pseudonyms.pseudonym('user-id', name), auraIdGlobal: pseudonyms.pseudonym('aura-id-global', name) };
}

/**
 * auraIdGlobal of an authenticated user when Kernel sent none: from the phone number when known (the same
 * value the person had as an identifiable user), otherwise from the Kernel user id.
 */
export function deriveAuraIdGlobal(
  pseudonyms: Pseudonyms,
  source: { phoneNumber?: string | null; userId: string },
): string {
  const name =
    source.phoneNumber === undefined || source.phoneNumber === null
      ? `kernel:${source.userId}`
      : `tel:${source.phoneNumber}`;
  return pseudonyms.pseudonym('aura-id-global', name);
}

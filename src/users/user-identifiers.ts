import { randomBytes } from 'node:crypto';
import type { PersonalDataCipher } from 'src/users/personal-data';

/** What a supplied auraId may look like: URL-safe (RFC 3986 unreserved characters), not starting with a dot. */
export const AURA_ID_PATTERN = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,127}$/;
export const AURA_ID_MAX_LENGTH = 128;

/** Path segments of other `/users/…` routes: an auraId equal to one of them could not be addressed. */
export const RESERVED_AURA_IDS: ReadonlySet<string> = new Set(['aura-id', 'aura-id-global', 'auraid']);

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

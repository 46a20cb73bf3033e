import { randomBytes } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';

/**
 * UUIDv5 namespaces of the identifiers generated for identifiable (anonymous) users. They are part of
 * the contract (docs/users.md): changing them would give the same person new ids in KPIs.
 */
export const USER_ID_NAMESPACE = '8d8fd67c-acb0-47b3-8179-3098ebc07652';
export const AURA_ID_GLOBAL_NAMESPACE = '9694524f-22c8-4597-bc01-e10fbf595fac';

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

/**
 * userId and auraIdGlobal of a user Kernel does not know (docs/users.md): derived from the phone number
 * when known, so the same person gets the same values in every channel; otherwise from the channel
 * and the auraId, stable for that user in that channel.
 */
export function deriveIdentifiers(source: {
  phoneNumber?: string | null;
  channel: string;
  auraId: string;
}): DerivedIdentifiers {
  const name =
    source.phoneNumber === undefined || source.phoneNumber === null
      ? `aura:${source.channel}:${source.auraId}`
      : `tel:${source.phoneNumber}`;
  return { userId: uuidv5(name, USER_ID_NAMESPACE), auraIdGlobal: uuidv5(name, AURA_ID_GLOBAL_NAMESPACE) };
}

/**
 * auraIdGlobal of an authenticated user when Kernel sent none: from the phone number when known (the same
 * value the person had as an identifiable user), otherwise from the Kernel user id.
 */
export function deriveAuraIdGlobal(source: { phoneNumber?: string | null; userId: string }): string {
  const name =
    source.phoneNumber === undefined || source.phoneNumber === null
      ? `kernel:${source.userId}`
      : `tel:${source.phoneNumber}`;
  return uuidv5(name, AURA_ID_GLOBAL_NAMESPACE);
}

import { createHmac } from 'node:crypto';
import type { UsersSettings } from 'src/users/users.settings';
import { aesGcmOpen, aesGcmSeal, decodeKey, parseKeyRing } from 'src/common/crypto/aes-gcm';

/**
 * Personal data sealed at rest (docs/pii.md). A sealed value is
 *
 *   v1.<kid>.<iv>.<ciphertext>.<tag>
 *
 * AES-256-GCM under the first key of PII_KEYS (every listed key opens), base64url parts; the additional
 * authenticated data `aura-pii:v1:<column>:<kid>` binds a value to its column, so a phone number cannot be
 * moved into the context column (or the kid swapped) without failing authentication.
 *
 * Look-ups by phone number go through a blind index: HMAC-SHA-256 of the E.164 number under PII_INDEX_KEY.
 * The same key derives the pseudonymous identifiers of people (auraIdGlobal, the userId of identifiable
 * users), so that they cannot be reversed to a phone number without it.
 */
export enum SealedColumn {
  PhoneNumber = 'phone_number',
  AuthenticationContext = 'authentication_context',
}

const VERSION = 'v1';
const STRUCTURE = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

/** What a pseudonym stands for: separate labels give unrelated values for the same name. */
export type PseudonymKind = 'user-id' | 'aura-id-global';

/** A sealed value that cannot be opened. Names the column and key id, never the value. */
export class PersonalDataError extends Error {
  override readonly name = 'PersonalDataError';

  constructor(
    readonly column: SealedColumn,
    readonly reason: 'malformed' | 'unknown_key' | 'invalid',
    readonly kid?: string,
  ) {
    super(
      reason === 'unknown_key'
        ? `${column}: sealed under key "${kid}", which PII_KEYS no longer holds`
        : reason === 'invalid'
          ? `${column}: sealed value failed authentication under key "${kid}"`
          : `${column}: not a sealed value`,
    );
  }
}

function aad(column: SealedColumn, kid: string): Buffer {
  return Buffer.from(`aura-pii:${VERSION}:${column}:${kid}`, 'utf8');
}

/** Built from the configuration (a factory provider of the users module; the CLI and migrations build their own). */
export class PersonalDataCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly sealingKid: string;
  private readonly sealingKey: Buffer;
  private readonly indexKey: Buffer;

  constructor(config: Pick<UsersSettings, 'PII_KEYS' | 'PII_INDEX_KEY'>) {
    const ring = parseKeyRing('PII_KEYS', config.PII_KEYS);
    this.keys = new Map(ring.map(({ kid, key }) => [kid, key]));
    this.sealingKid = ring[0].kid;
    this.sealingKey = ring[0].key;
    this.indexKey = decodeKey(config.PII_INDEX_KEY);
  }

  /** The kid new values are sealed under. */
  get currentKid(): string {
    return this.sealingKid;
  }

  seal(column: SealedColumn, plaintext: string): string {
    const { iv, ciphertext, tag } = aesGcmSeal(this.sealingKey, plaintext, aad(column, this.sealingKid));
    return [
      VERSION,
      this.sealingKid,
      iv.toString('base64url'),
      ciphertext.toString('base64url'),
      tag.toString('base64url'),
    ].join('.');
  }

  sealNullable(column: SealedColumn, plaintext: string | null): string | null {
    return plaintext === null ? null : this.seal(column, plaintext);
  }

  /** The plaintext; throws PersonalDataError (fails closed) rather than return anything unauthenticated. */
  open(column: SealedColumn, sealed: string): string {
    const match = STRUCTURE.exec(sealed);
    if (match === null) {
      throw new PersonalDataError(column, 'malformed');
    }
    const [, kid, iv, ciphertext, tag] = match;
    const key = this.keys.get(kid);
    if (key === undefined) {
      throw new PersonalDataError(column, 'unknown_key', kid);
    }
    const parts = {
      iv: Buffer.from(iv, 'base64url'),
      ciphertext: Buffer.from(ciphertext, 'base64url'),
      tag: Buffer.from(tag, 'base64url'),
    };
    const plaintext = aesGcmOpen(key, parts, aad(column, kid));
    if (plaintext === undefined) {
      throw new PersonalDataError(column, 'invalid', kid);
    }
    return plaintext.toString('utf8');
  }

  openNullable(column: SealedColumn, sealed: string | null): string | null {
    return sealed === null ? null : this.open(column, sealed);
  }

  /** Blind index of an E.164 number: HMAC-SHA-256 under PII_INDEX_KEY, hex. */
  phoneIndex(e164: string): string {
    return createHmac('sha256', this.indexKey).update(e164, 'utf8').digest('hex');
  }

  /**
   * A keyed, stable pseudonym shaped as a UUID (version 8, RFC 9562): the first 128 bits of
   * HMAC-SHA-256(PII_INDEX_KEY, `<kind>\n<name>`). Same input, same value on every replica.
   */
  pseudonym(kind: PseudonymKind, name: string): string {
    const bytes = createHmac('sha256', this.indexKey).update(`${kind}\n${name}`, 'utf8').digest().subarray(0, 16);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/** Key id of a sealed value, without opening it. */
export function kidOf(sealed: string): string | undefined {
  return STRUCTURE.exec(sealed)?.[1];
}

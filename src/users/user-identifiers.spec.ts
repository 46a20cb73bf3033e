import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import {
  AURA_ID_PATTERN,
  isAuraId,
  deriveAuraIdGlobal,
  deriveIdentifiers,
  generateAuraId,
  RESERVED_AURA_IDS,
} from 'src/users/user-identifiers';
import { PersonalDataCipher } from 'src/users/personal-data';
import { DEVELOPMENT_SECRETS } from 'src/config/development-secrets';

const keys = new PersonalDataCipher(DEVELOPMENT_SECRETS);
const otherKey = new PersonalDataCipher({
  PII_KEYS: DEVELOPMENT_SECRETS.PII_KEYS,
  PII_INDEX_KEY: Buffer.alloc(32, 7).toString('base64'),
});

describe('user identifiers', () => {
  it('should generate distinct, URL-safe auraIds of 32 characters', () => {
    const ids = Array.from({ length: 1000 }, generateAuraId);
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(AURA_ID_PATTERN.test(id)).toBe(true);
      expect(encodeURIComponent(id)).toBe(id);
    }
  });

  it('should derive the same ids from the same phone number in any channel', () => {
    const whatsapp = deriveIdentifiers(keys, { phoneNumber: '+34600000000', channel: 'whatsapp-es', auraId: 'a' });
    const tv = deriveIdentifiers(keys, { phoneNumber: '+34600000000', channel: 'living-tv', auraId: 'b' });
    expect(tv).toEqual(whatsapp);
    expect(whatsapp.userId).not.toBe(whatsapp.auraIdGlobal);
    expect(deriveAuraIdGlobal(keys, { phoneNumber: '+34600000000', userId: 'kernel-user' })).toBe(
      whatsapp.auraIdGlobal,
    );
  });

  it('should derive keyed ids: UUID-shaped, not the unkeyed UUIDv5 of the number, different under another key', () => {
    const ids = deriveIdentifiers(keys, { phoneNumber: '+34600000000', channel: 'whatsapp-es', auraId: 'a' });
    expect(ids.auraIdGlobal).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The former unkeyed derivation, which anyone could recompute from a list of numbers.
    expect(ids.auraIdGlobal).not.toBe(uuidv5('tel:+34600000000', '9694524f-22c8-4597-bc01-e10fbf595fac'));
    expect(
      deriveIdentifiers(otherKey, { phoneNumber: '+34600000000', channel: 'whatsapp-es', auraId: 'a' }),
    ).not.toEqual(ids);
  });

  it('should derive ids from channel and auraId without a phone number, distinct per channel', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,20}$/), fc.stringMatching(/^[a-z0-9-]{1,20}$/), (channel, auraId) => {
        const once = deriveIdentifiers(keys, { channel, auraId });
        const again = deriveIdentifiers(keys, { channel, auraId, phoneNumber: null });
        const elsewhere = deriveIdentifiers(keys, { channel: `${channel}-x`, auraId });
        return (
          once.userId === again.userId && once.auraIdGlobal === again.auraIdGlobal && elsewhere.userId !== once.userId
        );
      }),
    );
  });

  it('should keep the path segments of other routes out of the auraId space', () => {
    expect([...RESERVED_AURA_IDS].sort()).toEqual(['aura-id', 'aura-id-global', 'auraid']);
    expect(isAuraId('..')).toBe(false);
    expect(isAuraId('.')).toBe(false);
    expect(isAuraId('aura-id')).toBe(false);
    expect(isAuraId('a'.repeat(129))).toBe(false);
  });

  it('should accept printable ASCII but / ? # % in auraIds, and nothing else', () => {
    expect(isAuraId('wa+34600000000:x@y=z')).toBe(true);
    expect(isAuraId('.hidden')).toBe(true);
    expect(isAuraId(`!"$&'()*+,-.:;<=>@[\\]^_\`{|}~`)).toBe(true);
    for (const bad of ['', 'a/b', 'a?b', 'a#b', 'a%b', 'a b', 'a\tb', 'é', 'a\u0000', 'a\u007f']) {
      expect(isAuraId(bad)).toBe(false);
    }
  });
});

import { displayPrefix, generateApiKey, hashApiKey, parseApiKey } from 'src/api-keys/api-key-format';

describe('API key format', () => {
  it('should generate environment-tagged keys with 160 bits of secret', () => {
    const { key, publicId, secretHash } = generateApiKey('pro');
    expect(key).toMatch(/^aak_pro_[0-9a-f]{10}_[0-9a-f]{40}$/);
    expect(key.startsWith(displayPrefix('pro', publicId))).toBe(true);
    expect(secretHash).toBe(hashApiKey(key));
    expect(secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('should never generate the same key twice', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey('dev').key));
    expect(keys.size).toBe(1000);
  });

  it('should parse its own keys', () => {
    const { key, publicId } = generateApiKey('pre');
    expect(parseApiKey(key)).toEqual({ environment: 'pre', publicId });
  });

  it.each([
    '',
    'aak_pro_0123456789',
    'aak_pro_0123456789_' + 'a'.repeat(39),
    'aak_pro_0123456789_' + 'A'.repeat(40),
    'aak_PRO_0123456789_' + 'a'.repeat(40),
    'xak_pro_0123456789_' + 'a'.repeat(40),
    'aak_pro_0123456789_' + 'a'.repeat(40) + '\n',
    ' aak_pro_0123456789_' + 'a'.repeat(40),
    'aak_pro_0123456789_' + 'a'.repeat(40) + 'a'.repeat(10_000),
  ])('should refuse text that is not a key: %j', (text) => {
    expect(parseApiKey(text)).toBeUndefined();
  });
});

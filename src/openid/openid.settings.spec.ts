import { loadConfig } from 'src/config/app-config';

describe('OpenIdSettings', () => {
  it('should refuse signing keys both inline and from a file', () => {
    expect(() => loadConfig({ OPENID_SIGNING_KEYS: '[]', OPENID_SIGNING_KEYS_FILE: '/etc/aura/keys.json' })).toThrow(
      'set either OPENID_SIGNING_KEYS or OPENID_SIGNING_KEYS_FILE, not both',
    );
  });
});

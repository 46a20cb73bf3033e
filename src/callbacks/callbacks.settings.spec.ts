import { loadConfig } from 'src/config/app-config';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';

describe('CallbacksSettings', () => {
  it('should refuse a callback key id listed twice, and redirect origins that are not origins', () => {
    const key = Buffer.alloc(32, 1).toString('base64url');
    expect(() => loadConfig({ CALLBACK_CIPHER_KEYS: `a:${key},a:${key}` })).toThrow('appears twice');
    expect(() => loadConfig({ CALLBACK_REDIRECT_ALLOWLIST: 'web.example.com' })).toThrow('CALLBACK_REDIRECT_ALLOWLIST');
    expect(
      loadConfig({ CALLBACK_REDIRECT_ALLOWLIST: 'https://a.example, http://localhost:8080' }).get(CallbacksSettings)
        .CALLBACK_REDIRECT_ALLOWLIST,
    ).toBeDefined();
  });
});

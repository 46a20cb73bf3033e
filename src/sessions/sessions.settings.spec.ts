import { loadConfig } from 'src/config/app-config';
import { SessionsSettings } from 'src/sessions/sessions.settings';

describe('SessionsSettings', () => {
  it('should take a session cookie domain that contains the service host, and refuse any other', () => {
    const base = { PUBLIC_BASE_URL: 'https://auth.example.com' };
    expect(
      loadConfig({ ...base, SESSION_COOKIE_DOMAIN: '.example.com' }).get(SessionsSettings).sessionCookieDomain,
    ).toBe('example.com');
    expect(
      loadConfig({ ...base, SESSION_COOKIE_DOMAIN: 'auth.example.com' }).get(SessionsSettings).sessionCookieDomain,
    ).toBe('auth.example.com');
    expect(loadConfig(base).get(SessionsSettings).sessionCookieDomain).toBeUndefined();
    for (const value of ['com', '.com', 'https://example.com', 'example.com/', 'Example.com', '.example..com']) {
      expect(() => loadConfig({ ...base, SESSION_COOKIE_DOMAIN: value })).toThrow('SESSION_COOKIE_DOMAIN');
    }
    expect(() => loadConfig({ ...base, SESSION_COOKIE_DOMAIN: '.other.com' })).toThrow(
      'SESSION_COOKIE_DOMAIN: must contain the host of PUBLIC_BASE_URL',
    );
    expect(() => loadConfig({ ...base, SESSION_COOKIE_DOMAIN: '.ample.com' })).toThrow('SESSION_COOKIE_DOMAIN');
  });
});

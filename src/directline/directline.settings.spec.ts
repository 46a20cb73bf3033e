import { loadConfig } from 'src/config/app-config';
import { ServerSettings } from 'src/config/server.settings';
import { DirectLineSettings } from 'src/directline/directline.settings';

describe('DirectLineSettings', () => {
  it('should accept comma-separated trusted origins and refuse anything else', () => {
    expect(
      loadConfig({ DIRECTLINE_TRUSTED_ORIGINS: 'https://a.example.com, http://localhost:8080' }).get(DirectLineSettings)
        .DIRECTLINE_TRUSTED_ORIGINS,
    ).toBe('https://a.example.com, http://localhost:8080');
    for (const value of [
      'a.example.com',
      'https://a.example.com/path',
      'https://a.example.com,,https://b.example.com',
    ]) {
      expect(() => loadConfig({ DIRECTLINE_TRUSTED_ORIGINS: value })).toThrow('DIRECTLINE_TRUSTED_ORIGINS');
    }
  });

  it('should refuse a shutdown drain no longer than the Direct Line deadline', () => {
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '5000', DIRECTLINE_DEADLINE_MS: '5000' })).toThrow(
      'SHUTDOWN_TIMEOUT_MS: must be longer than DIRECTLINE_DEADLINE_MS (5000)',
    );
    expect(
      loadConfig({ SHUTDOWN_TIMEOUT_MS: '5001', DIRECTLINE_DEADLINE_MS: '5000' }).get(ServerSettings)
        .SHUTDOWN_TIMEOUT_MS,
    ).toBe(5001);
  });
});

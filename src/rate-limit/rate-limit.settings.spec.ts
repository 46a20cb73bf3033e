import { loadConfig } from 'src/config/app-config';
import { RateLimitSettings } from 'src/rate-limit/rate-limit.settings';

describe('RateLimitSettings', () => {
  it('should default the per-client limit under a public key to a tenth of the key limit, at least 100', () => {
    expect(loadConfig({}).get(RateLimitSettings).rateLimitClientLimit).toBe(600);
    expect(loadConfig({ RATE_LIMIT_LIMIT: '50' }).get(RateLimitSettings).rateLimitClientLimit).toBe(50);
    expect(loadConfig({ RATE_LIMIT_LIMIT: '500' }).get(RateLimitSettings).rateLimitClientLimit).toBe(100);
    expect(loadConfig({ RATE_LIMIT_CLIENT_LIMIT: '7' }).get(RateLimitSettings).rateLimitClientLimit).toBe(7);
  });
});

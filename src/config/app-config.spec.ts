import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { loadConfig, SETTINGS } from 'src/config/app-config';
import { ConfigError } from 'src/config/config-error';
import { DEVELOPMENT_SECRETS } from 'src/config/development-secrets';
import { NodeEnv, ServerSettings } from 'src/config/server.settings';
import { ApiKeysSettings } from 'src/api-keys/api-keys.settings';
import { DatabaseSettings } from 'src/database/database.settings';
import { DirectLineSettings } from 'src/directline/directline.settings';
import { OpenIdSettings } from 'src/openid/openid.settings';
import { RateLimitSettings } from 'src/rate-limit/rate-limit.settings';

const randomKey = () => randomBytes(32).toString('base64url');

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://aura@db:5432/aura',
  AUDIT_HMAC_SECRET: randomBytes(36).toString('base64'),
  CALLBACK_CIPHER_KEYS: `k1:${randomKey()}`,
  PII_KEYS: `p1:${randomKey()}`,
  PII_INDEX_KEY: randomKey(),
  OPENID_SIGNING_KEYS: '[]',
  PUBLIC_BASE_URL: 'https://aura-auth.example.com',
  APIKEY_ENVIRONMENT: 'pro',
};

describe('loadConfig', () => {
  it('should apply documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.get(ServerSettings).NODE_ENV).toBe(NodeEnv.Development);
    expect(config.get(ServerSettings).PORT).toBe(3000);
    expect(config.get(DatabaseSettings).DATA_DIR).toBe('./data');
    expect(config.get(DatabaseSettings).DATABASE_URL).toBeUndefined();
    expect(config.get(DatabaseSettings).isEmbeddedDatabase).toBe(true);
    expect(config.get(DatabaseSettings).runMigrationsAtStart).toBe(true);
  });

  it('should read optional variables, numbers and booleans from strings', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@h/d',
      PORT: '8080',
      APIKEY_QUERY_PARAM_ENABLED: 'TRUE',
      REDIS_URL: 'redis://r:6379',
    });
    expect(config.get(DatabaseSettings).DATABASE_URL).toBe('postgres://u@h/d');
    expect(config.get(RateLimitSettings).REDIS_URL).toBe('redis://r:6379');
    expect(config.get(ServerSettings).PORT).toBe(8080);
    expect(config.get(ApiKeysSettings).APIKEY_QUERY_PARAM_ENABLED).toBe(true);
    expect(config.get(DatabaseSettings).runMigrationsAtStart).toBe(false);
  });

  it('should treat empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).get(ServerSettings).PORT).toBe(3000);
  });

  it('should name every invalid variable and never echo its value', () => {
    const attempt = () =>
      loadConfig({ PORT: 'not-a-port', DATABASE_URL: 'mysql://secret-password@db', APIKEY_QUERY_PARAM_ENABLED: 'yes' });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('APIKEY_QUERY_PARAM_ENABLED');
    expect(message).not.toContain('secret-password');
  });

  it('should start in production with every secret set', () => {
    expect(loadConfig(PRODUCTION).get(ServerSettings).isProduction).toBe(true);
  });

  it.each(['DATABASE_URL', 'OPENID_SIGNING_KEYS'])('should refuse production without %s', (name) => {
    expect(() => loadConfig({ ...PRODUCTION, [name]: undefined })).toThrow(name);
  });

  it('should refuse a plain http Direct Line URL in production unless it is a loopback host', () => {
    expect(() => loadConfig({ ...PRODUCTION, DIRECTLINE_BASE_URL: 'http://directline.example.com' })).toThrow(
      'DIRECTLINE_BASE_URL',
    );
    expect(
      loadConfig({ ...PRODUCTION, DIRECTLINE_BASE_URL: 'http://127.0.0.1:3980' }).get(DirectLineSettings)
        .DIRECTLINE_BASE_URL,
    ).toBe('http://127.0.0.1:3980');
    expect(
      loadConfig({ ...PRODUCTION, DIRECTLINE_BASE_URL: 'https://europe.directline.botframework.com' }).get(
        ServerSettings,
      ).isProduction,
    ).toBe(true);
    expect(
      loadConfig({ DIRECTLINE_BASE_URL: 'http://directline.example.com' }).get(DirectLineSettings).DIRECTLINE_BASE_URL,
    ).toBe('http://directline.example.com');
  });

  it('should start in production with the signing keys in a mounted file', () => {
    const config = loadConfig({
      ...PRODUCTION,
      OPENID_SIGNING_KEYS: undefined,
      OPENID_SIGNING_KEYS_FILE: '/etc/aura/keys.json',
    });
    expect(config.get(OpenIdSettings).OPENID_SIGNING_KEYS_FILE).toBe('/etc/aura/keys.json');
  });

  it.each(Object.entries(DEVELOPMENT_SECRETS))(
    'should refuse the development value of %s in production',
    (name, value) => {
      expect(() => loadConfig({ ...PRODUCTION, [name]: value })).toThrow(name);
    },
  );

  it.each([
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'http://localhost:3000' }],
    ['APIKEY_ENVIRONMENT', { APIKEY_ENVIRONMENT: 'dev' }],
    [
      'CALLBACK_CIPHER_KEYS',
      {
        CALLBACK_CIPHER_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64url')},old:ZGV2ZWxvcG1lbnQtb25seS1jYWxsYmFjay1rZXkhISE`,
      },
    ],
  ])('should refuse a development value of %s in production', (name, env) => {
    expect(() => loadConfig({ ...PRODUCTION, ...env })).toThrow(name);
  });

  /** The README's callback test vector (bytes 00…1f), and keys anyone could guess. */
  const TEST_VECTOR = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const WEAK_KEYS: [string, Buffer][] = [
    ['the README test-vector key', TEST_VECTOR],
    ['an all-zero key', Buffer.alloc(32)],
    ['one byte repeated', Buffer.alloc(32, 0xa5)],
    ['a short pattern repeated', Buffer.from('deadbeef'.repeat(8), 'hex')],
    ['an ASCII word', Buffer.from('correct horse battery staple!!!!', 'utf8')],
    ['a counting sequence', Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 3 + 40) % 256))],
  ];

  describe.each([
    ['CALLBACK_CIPHER_KEYS', (key: Buffer) => `k1:${key.toString('base64')}`],
    ['PII_KEYS', (key: Buffer) => `p2:${randomKey()},p1:${key.toString('base64url')}`],
    ['PII_INDEX_KEY', (key: Buffer) => key.toString('base64')],
  ])('%s in production', (name, written) => {
    it.each(WEAK_KEYS)('should refuse %s, naming the variable and never the value', (_, key) => {
      const value = written(key);
      let error: unknown;
      try {
        loadConfig({ ...PRODUCTION, [name]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain(`${name}: `);
      expect(message).not.toContain(key.toString('base64'));
      expect(message).not.toContain(key.toString('base64url'));
      // Outside production the same value is accepted (tests and development use such keys).
      expect(() => loadConfig({ [name]: value })).not.toThrow();
    });
  });

  it.each([
    ['one character repeated', 'a'.repeat(48)],
    ['a word repeated', 'changeme'.repeat(6)],
    ['words', 'this-is-the-audit-secret-of-production'],
    ['a short pattern repeated', 'ab12'.repeat(12)],
  ])('should refuse an AUDIT_HMAC_SECRET that is %s in production, never echoing it', (_, value) => {
    expect(() => loadConfig({ ...PRODUCTION, AUDIT_HMAC_SECRET: value })).toThrow(
      'AUDIT_HMAC_SECRET: refused in production',
    );
    try {
      loadConfig({ ...PRODUCTION, AUDIT_HMAC_SECRET: value });
    } catch (error) {
      expect((error as Error).message).not.toContain(value.slice(0, 8));
    }
  });

  it('should accept random secrets in production, written as openssl rand prints them', () => {
    expect(() =>
      loadConfig({
        ...PRODUCTION,
        AUDIT_HMAC_SECRET: randomBytes(32).toString('hex'),
        PII_INDEX_KEY: randomBytes(32).toString('base64'),
      }),
    ).not.toThrow();
  });

  it('should refuse HTTP time bounds that do not fit the shutdown drain or the longest handler', () => {
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '10000', SHUTDOWN_TIMEOUT_MS: '10000' })).toThrow(
      'HTTP_REQUEST_TIMEOUT_MS: must be shorter than SHUTDOWN_TIMEOUT_MS (10000)',
    );
    expect(() => loadConfig({ HTTP_CONNECTION_TIMEOUT_MS: '8000' })).toThrow('HTTP_CONNECTION_TIMEOUT_MS');
    expect(loadConfig({ HTTP_CONNECTION_TIMEOUT_MS: '0' }).get(ServerSettings).HTTP_CONNECTION_TIMEOUT_MS).toBe(0);
    expect(loadConfig({}).get(ServerSettings).HTTP_REQUEST_TIMEOUT_MS).toBeLessThan(
      loadConfig({}).get(ServerSettings).SHUTDOWN_TIMEOUT_MS,
    );
  });
});

describe('SETTINGS', () => {
  it('should declare each variable in one settings class only', () => {
    const names = SETTINGS.flatMap((type) => Object.keys(new type()));
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(names.every((name) => /^[A-Z][A-Z0-9_]+$/.test(name))).toBe(true);
  });

  it('should collect the settings class of every *.settings.ts file of src/', () => {
    const files = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.settings.ts'),
    );
    expect(files.length).toBe(SETTINGS.length);
  });
});

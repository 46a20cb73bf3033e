/** Values that exist only so the service runs out of the box; production refuses them. */
export const DEVELOPMENT_SECRETS = {
  AUDIT_HMAC_SECRET: 'development-only-audit-hmac-secret-change-me',
  CALLBACK_CIPHER_KEYS: 'dev:ZGV2ZWxvcG1lbnQtb25seS1jYWxsYmFjay1rZXkhISE',
  PII_KEYS: `dev:${Buffer.from('development-only-pii-sealing-key', 'utf8').toString('base64url')}`,
  PII_INDEX_KEY: Buffer.from('development-only-pii-index-key!!', 'utf8').toString('base64url'),
} as const;

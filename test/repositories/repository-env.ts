/** Where the global setup left the migrated embedded database (a PGlite dump) that each repository test file loads. */
export const REPOSITORY_TEMPLATE_ENV = 'AURA_REPOSITORY_TEMPLATE_DIR';

/** The settings repository tests start from (the database's come on top). */
export const REPOSITORY_TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  APIKEY_ENVIRONMENT: 'test',
  DATA_DIR: 'memory://',
  PUBLIC_BASE_URL: 'http://aura-auth.test',
  AZURE_STORAGE_SUBDOMAIN: 'auratest',
};

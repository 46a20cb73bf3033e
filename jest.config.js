const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * Nest 12 and a growing part of the ecosystem ship as ES modules only. Node 20 loads them from
 * CommonJS natively (require(esm)); Jest's module loader does not before Node 24.9, so every
 * installed package marked `"type": "module"` is compiled to CommonJS for the tests
 * (test/support/esm-to-cjs.transform.js).
 */
function esModulePackages() {
  const isModule = (name) => {
    try {
      return JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')).type === 'module';
    } catch {
      return false;
    }
  };
  return readdirSync('node_modules')
    .flatMap((entry) =>
      entry.startsWith('@') ? readdirSync(join('node_modules', entry)).map((sub) => `${entry}/${sub}`) : [entry],
    )
    .filter(isModule)
    .map((name) => name.replace(/[.+]/g, '\\$&'));
}

const shared = {
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
  moduleNameMapper: {
    // A dynamic import names the built file (`src/….js`, as Node resolves it); Jest reads the source.
    '^src/(.*)\\.js$': '<rootDir>/src/$1',
    '^src/(.*)$': '<rootDir>/src/$1',
    '^migrations/(.*)$': '<rootDir>/migrations/$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '^.+\\.js$': '<rootDir>/test/support/esm-to-cjs.transform.js',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esModulePackages().join('|')})/)`],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      // SWC with .swcrc, like the build: unit specs compile in milliseconds (type checking is `npm run typecheck`).
      transform: { ...shared.transform, '^.+\\.ts$': '@swc/jest' },
    },
    // Checks of files that do not run (build layout, chart, Dockerfile, README): no build, no database.
    { ...shared, displayName: 'static', testMatch: ['<rootDir>/test/static/**/*.spec.ts'] },
    // Each repository on a real database (PGlite in-process, or PostgreSQL with TEST_DATABASE_URL), without the
    // app: every statement of every *.sql.ts and the races. SWC like the unit specs (typecheck covers types).
    {
      ...shared,
      displayName: 'repository',
      testMatch: ['<rootDir>/test/repositories/**/*.repository-spec.ts'],
      globalSetup: '<rootDir>/test/repositories/global-setup.ts',
      globalTeardown: '<rootDir>/test/repositories/global-teardown.ts',
      transform: { ...shared.transform, '^.+\\.ts$': '@swc/jest' },
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  // A global option only (Jest ignores it inside a project): e2e hooks boot whole apps and production builds,
  // which take 20-45 s on a busy shared machine, and over 90 s at its busiest (test/support/built-service.ts
  // BOOT_WAIT_MS, 180 s, fits in this). A bound on a hanging test, not a measure of speed.
  testTimeout: 300_000,
};

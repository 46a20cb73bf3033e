#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ and migrations/ to dist/migrations/ with SWC, in one process. It is what
// `nest build` does with nest-cli.json's SWC builder (the same .swcrc, tsconfig paths and exclusions), without the
// Nest CLI's second of start-up, which a first `npm start` pays (scripts/build-if-stale.js).
const { readFileSync, rmSync } = require('node:fs');
const { swcDir } = require('@swc/cli');

const BUILD_DIR = 'dist';
const swcrc = JSON.parse(readFileSync('.swcrc', 'utf8'));
const { paths } = JSON.parse(readFileSync('tsconfig.json', 'utf8')).compilerOptions;

// `src/...` and `migrations/...` imports become relative paths, resolved from the repository root.
const swcOptions = { ...swcrc, swcrc: false, jsc: { ...swcrc.jsc, baseUrl: process.cwd(), paths } };
const cliOptions = {
  outDir: BUILD_DIR,
  extensions: ['.ts'],
  ignore: ['**/*.spec.ts'],
  copyFiles: false,
  includeDotfiles: false,
  quiet: true,
  sync: false,
  watch: false,
};

async function main() {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  await Promise.all([
    swcDir({ swcOptions, cliOptions: { ...cliOptions, filenames: ['src'], stripLeadingPaths: true } }),
    swcDir({ swcOptions, cliOptions: { ...cliOptions, filenames: ['migrations'], stripLeadingPaths: false } }),
  ]);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

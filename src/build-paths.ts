import { join } from 'node:path';

/**
 * The build layout, defined once. `npm run build` compiles `src/` to `dist/` and `migrations/` to
 * `dist/migrations/`. Everything that starts the service names these paths: package.json scripts, the
 * Dockerfile, the chart's Deployment and migration Job, CI, the bench and the tests — test/static checks
 * that none of them drifts from this file.
 */
export const BUILD_DIR = 'dist';
export const SERVICE_ENTRY = `${BUILD_DIR}/main.js`;
export const CLI_ENTRY = `${BUILD_DIR}/cli/main.js`;
export const DATA_SOURCE_ENTRY = `${BUILD_DIR}/database/data-source.js`;

/**
 * This file sits at the root of the compiled tree (dist/) and of the sources (src/). Compiled, the migrations
 * are beside it (dist/migrations); from the sources (tests, ts-node) they are at the top level of the repository.
 */
const runningFromSources = __filename.endsWith('.ts');
export const MIGRATIONS_DIR = runningFromSources ? join(__dirname, '..', 'migrations') : join(__dirname, 'migrations');

/** Every TypeORM entity (`src/<feature>/*.entity.ts`), found by name: src/database lists them without importing the features. */
export const ENTITIES_GLOB = join(__dirname, '*', `*.entity.${runningFromSources ? 'ts' : 'js'}`);

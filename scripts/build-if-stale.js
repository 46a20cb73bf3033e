#!/usr/bin/env node
// `npm start`'s pre-step: builds (package.json's "build" script) only when the service entry (package.json "main") is missing or
// older than a source, a migration or a build setting, so that a repeated start does not pay for a build.
// The tests' global setup calls it too.
//
// Under `npm start` on the embedded database's first start, it also creates the empty database (PGlite's
// initdb, the longest step of a first start) in a second process while the build runs; the service then
// finds it and only migrates. It is created in a side folder and renamed into place, so an interrupted
// creation leaves nothing half-made.
const { spawn } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } = require('node:fs');
const { delimiter, join } = require('node:path');

const BUILD_INPUTS = [
  'src',
  'migrations',
  'package.json',
  'package-lock.json',
  'nest-cli.json',
  '.swcrc',
  'tsconfig.json',
  'tsconfig.build.json',
];

function newest(path) {
  if (!existsSync(path)) {
    return 0;
  }
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    return stat.mtimeMs;
  }
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

function build() {
  const { main: entry, scripts } = JSON.parse(readFileSync('package.json', 'utf8'));
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  if (built >= Math.max(...BUILD_INPUTS.map(newest))) {
    return Promise.resolve();
  }
  // The build script itself, without a second npm (its start-up is a noticeable part of a first start).
  const path = [join('node_modules', '.bin'), process.env.PATH].join(delimiter);
  return run('sh', ['-c', scripts.build], { env: { ...process.env, PATH: path } });
}

/** The embedded database's folder (src/database/data-source-options.ts), when this start will create it. */
function embeddedDatabaseToCreate() {
  const dataDir = process.env.DATA_DIR || './data';
  if (process.env.npm_lifecycle_event !== 'prestart' || process.env.DATABASE_URL || dataDir.startsWith('memory://')) {
    return undefined;
  }
  const folder = join(dataDir, 'pglite');
  return existsSync(folder) ? undefined : folder;
}

async function createEmbeddedDatabase(folder) {
  const staging = `${folder}.creating-${process.pid}`;
  const create = `import('@electric-sql/pglite').then(async ({ PGlite }) => (await PGlite.create({ dataDir: process.argv[1] })).close())`;
  try {
    await run(process.execPath, ['-e', create, staging]);
    renameSync(staging, folder);
  } catch (error) {
    // The service creates it itself then: this was only a head start.
    rmSync(staging, { recursive: true, force: true });
    console.warn(`embedded database not prepared ahead (${error.message}); the service will create it`);
  }
}

const folder = embeddedDatabaseToCreate();
Promise.all([build(), folder === undefined ? undefined : createEmbeddedDatabase(folder)]).catch((error) => {
  console.error(error.message);
  process.exit(1);
});

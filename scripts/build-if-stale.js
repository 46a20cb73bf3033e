#!/usr/bin/env node
// `npm start`'s pre-step: builds (package.json's "build" script) only when the service entry (package.json "main") is missing or
// older than a source, a migration or a build setting, so that a repeated start does not pay for a build.
// The tests' global setup calls it too.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
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

const { main: entry, scripts } = JSON.parse(readFileSync('package.json', 'utf8'));
const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
if (built < Math.max(...BUILD_INPUTS.map(newest))) {
  // The build script itself, without a second npm (its start-up is a noticeable part of a first start).
  const path = [join('node_modules', '.bin'), process.env.PATH].join(delimiter);
  execSync(scripts.build, { stdio: 'inherit', env: { ...process.env, PATH: path } });
}

#!/usr/bin/env node
// The package registry this project installs from serves only the Linux builds of some native
// packages (e.g. @unrs/resolver-binding-*, used by Jest). npm then leaves the other platforms'
// optional binaries out of package-lock.json, and `npm ci` refuses the lock as out of sync.
// This adds a lock entry, restricted to its own os/cpu, for every such missing optional
// dependency; npm skips them on Linux. Run it after `npm install` changes the lock.
const { readFileSync, writeFileSync } = require('node:fs');

const LIBC = { gnu: 'glibc', gnueabihf: 'glibc', musl: 'musl', musleabihf: 'musl' };

function platformOf(name) {
  const match = /-(android|darwin|freebsd|linux|openharmony|win32|wasm32)-([a-z0-9]+)(?:-([a-z]+))?$/.exec(name);
  if (match === null) {
    return {};
  }
  const [, os, cpu, abi] = match;
  return { os: [os], cpu: [cpu], ...(LIBC[abi] ? { libc: [LIBC[abi]] } : {}) };
}

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
let added = 0;
for (const entry of Object.values(lock.packages)) {
  for (const [dependency, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const path = `node_modules/${dependency}`;
    if (lock.packages[path] === undefined) {
      lock.packages[path] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platformOf(dependency) };
      added++;
    }
  }
}
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`package-lock.json: ${added} platform stub(s) added`);

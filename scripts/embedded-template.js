#!/usr/bin/env node
// `npm ci`/`npm install`'s last step (postinstall): an empty embedded database, made once per install under
// node_modules/.cache. PGlite's initdb is the longest step of a first `npm start` (~3.6 s of ~8 s on 2 cores); a
// new DATA_DIR then starts from a copy of this folder (src/database/embedded-template.ts) instead. Best effort:
// any failure leaves no template and the service creates its database itself; npm's install never fails here.
const { existsSync, mkdirSync, renameSync, rmSync } = require('node:fs');
const { dirname, join } = require('node:path');

const TEMPLATE = join(__dirname, '..', 'node_modules', '.cache', 'aura-authentication-api', 'pglite');

async function main() {
  if (existsSync(join(TEMPLATE, 'PG_VERSION'))) {
    return;
  }
  const staging = `${TEMPLATE}.creating-${process.pid}`;
  try {
    mkdirSync(dirname(TEMPLATE), { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    await (await PGlite.create({ dataDir: staging })).close();
    rmSync(TEMPLATE, { recursive: true, force: true });
    renameSync(staging, TEMPLATE);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    console.warn(`embedded database template not prepared (${error.message}); a first start will create it`);
  }
}

void main();

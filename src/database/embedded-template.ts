import { cpSync, existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where `npm ci` leaves an empty embedded database (scripts/embedded-template.js). */
export const EMBEDDED_TEMPLATE_DIR = join(
  __dirname,
  '..',
  '..',
  'node_modules',
  '.cache',
  'aura-authentication-api',
  'pglite',
);

/**
 * A new embedded database folder starts as a copy of the template made at install time (~0.2 s) rather than
 * by PGlite's initdb (~3.6 s). The template is exactly what initdb makes; migrations run on it as on any new
 * database. A folder that already holds a database, or a missing template, is left alone. The copy is made
 * beside the folder and renamed into place, so an interrupted start never leaves half a database.
 */
export function seedFromTemplate(dataDir: string, template = EMBEDDED_TEMPLATE_DIR): boolean {
  const isNew = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  if (!isNew || !existsSync(join(template, 'PG_VERSION'))) {
    return false;
  }
  const staging = `${dataDir}.copying-${process.pid}`;
  mkdirSync(dirname(dataDir), { recursive: true });
  cpSync(template, staging, { recursive: true });
  renameSync(staging, dataDir);
  return true;
}

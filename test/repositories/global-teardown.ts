import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { REPOSITORY_TEMPLATE_ENV } from './repository-env';

/** Removes the migrated embedded database the test files copied. */
export default function globalTeardown(): void {
  const template = process.env[REPOSITORY_TEMPLATE_ENV];
  if (template !== undefined) {
    rmSync(dirname(template), { recursive: true, force: true });
  }
}

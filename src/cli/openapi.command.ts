import { readFile, writeFile } from 'node:fs/promises';
import { createApp } from 'src/bootstrap';
import type { CommandOptions } from 'src/cli/main';
import { loadConfig } from 'src/config/app-config';
import { buildOpenApiDocument, stableJson } from 'src/swagger';

export const OPENAPI_FILE = 'openapi/openapi.json';

/** Boots the app on a throw-away in-memory database (never the configured one) and writes or checks the spec. */
export async function runOpenApiCommand(options: CommandOptions): Promise<number> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: '',
    DATA_DIR: 'memory://',
    LOG_LEVEL: 'warn',
  });
  const app = await createApp({ config });
  try {
    const spec = stableJson(buildOpenApiDocument(app));
    const file = typeof options.out === 'string' ? options.out : OPENAPI_FILE;
    if (options.check === true) {
      const committed = await readFile(file, 'utf8').catch(() => '');
      if (committed !== spec) {
        console.error(`${file} is out of date: run \`npm run openapi\` and commit the result.`);
        return 1;
      }
      console.log(`${file} is up to date.`);
      return 0;
    }
    await writeFile(file, spec);
    console.log(`Wrote ${file}.`);
    return 0;
  } finally {
    await app.close();
  }
}

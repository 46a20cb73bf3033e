import 'src/compile-cache';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { runApiKeysCommand } from 'src/cli/api-keys.command';
import { runCallbackCommand } from 'src/cli/callback.command';
import { runMigrationsCommand } from 'src/cli/migrations.command';
import { runOpenApiCommand } from 'src/cli/openapi.command';
import { runOpenIdCommand } from 'src/cli/openid.command';
import { runPiiCommand } from 'src/cli/pii.command';
import { loadConfig } from 'src/config/app-config';

const USAGE = `Usage: node dist/cli/main.js <command> [options]   (or: npm run cli -- <command> [options])

  api-keys create --name <name> --tier <internal|kernel|public> [--channel <c>] [--expires-in-days <d>] [--json]
  api-keys list [--json]
  api-keys revoke <id|prefix> [--json]
  api-keys rotate <id|prefix> [--grace-hours <h>] [--json]     (default grace: 24 h)
  callback seal --purpose <login|logout> --data '<json>' [--ttl-seconds <s>]   (default ttl: 300 s)
  callback open <value>                                  (operators only: prints the payload)
  migrations run | revert | show
  openapi [--out <file>] [--check]
  pii reencrypt [--batch-size <n>] [--pause-ms <ms>]
      re-seals phone numbers and authentication contexts under the first key of PII_KEYS (resumable)
  openid generate-key [--alg ES256] [--state published|active|retired] [--kid <kid>]
      prints a new private signing key as an OPENID_SIGNING_KEYS entry (default state: published)

Configuration comes from the same environment variables as the service (DATABASE_URL, …).`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      tier: { type: 'string' },
      channel: { type: 'string' },
      'expires-in-days': { type: 'string' },
      'grace-hours': { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      check: { type: 'boolean' },
      alg: { type: 'string' },
      state: { type: 'string' },
      kid: { type: 'string' },
      purpose: { type: 'string' },
      data: { type: 'string' },
      'ttl-seconds': { type: 'string' },
      'batch-size': { type: 'string' },
      'pause-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, action, ...rest] = positionals;
  if (values.help || group === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  switch (group) {
    case 'api-keys':
      return runApiKeysCommand(loadConfig(), action, rest, values);
    case 'callback':
      return runCallbackCommand(loadConfig(), action, rest, values);
    case 'migrations':
      return runMigrationsCommand(loadConfig(), action);
    case 'openapi':
      return runOpenApiCommand(values);
    case 'pii':
      return runPiiCommand(loadConfig(), action, values);
    case 'openid':
      return runOpenIdCommand(action, values);
    default:
      console.error(`Unknown command: ${group}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

import { ApiKeysService } from 'src/api-keys/api-keys.service';
import { ApiKeysSettings } from 'src/api-keys/api-keys.settings';
import { Tier, TIERS } from 'src/auth/tier';
import { createCliContext } from 'src/cli/cli-context';
import type { CommandOptions } from 'src/cli/command-options';
import type { AppConfig } from 'src/config/app-config';

const NAME = /^[\w .:@/-]{1,100}$/;
const CHANNEL = /^[a-z0-9][a-z0-9._-]{0,63}$/;

class UsageError extends Error {}

function positiveNumber(value: string | boolean | undefined, option: string, fallback?: number): number | undefined {
  if (value === undefined) {
    return fallback;
  }
  const number = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(number) || number <= 0 || number > 36_500) {
    throw new UsageError(`--${option} must be a positive number`);
  }
  return number;
}

function text(value: string | boolean | undefined, option: string, pattern: RegExp): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new UsageError(`--${option} is invalid (expected ${pattern.source})`);
  }
  return value;
}

function print(json: boolean, value: unknown, human: string): void {
  console.log(json ? JSON.stringify(value) : human);
}

/** `api-keys create|list|revoke|rotate`: prints the key once on create/rotate; `--json` for scripts. */
export async function runApiKeysCommand(
  config: AppConfig,
  action: string | undefined,
  args: string[],
  options: CommandOptions,
): Promise<number> {
  const json = options.json === true;
  let context;
  try {
    const run = async (): Promise<void> => {
      switch (action) {
        case 'create': {
          const name = text(options.name, 'name', NAME);
          const tier = options.tier as Tier;
          if (name === undefined || !TIERS.includes(tier)) {
            throw new UsageError(`api-keys create needs --name and --tier (${TIERS.join('|')})`);
          }
          const command = {
            name,
            tier,
            channel: text(options.channel, 'channel', CHANNEL),
            expiresInDays: positiveNumber(options['expires-in-days'], 'expires-in-days'),
          };
          context = await createCliContext(config);
          const created = await context.get(ApiKeysService).create(command);
          print(
            json,
            created,
            `Created ${created.tier} key "${created.name}" (id ${created.id}). It is shown only now:\n\n  ${created.key}\n`,
          );
          return;
        }
        case 'list': {
          context = await createCliContext(config);
          const keys = await context.get(ApiKeysService).list();
          const lines = keys.map((key) => {
            const state = key.revokedAt
              ? 'revoked'
              : key.expiresAt && key.expiresAt < new Date()
                ? 'expired'
                : 'active';
            return [
              key.id,
              key.prefix,
              key.tier,
              key.channel ?? '-',
              state,
              key.lastUsedAt?.toISOString() ?? 'never',
              key.name,
            ].join('  ');
          });
          print(json, keys, lines.length > 0 ? lines.join('\n') : 'No API keys.');
          return;
        }
        case 'revoke': {
          const [reference] = args;
          if (reference === undefined) {
            throw new UsageError('api-keys revoke needs the key id or prefix');
          }
          context = await createCliContext(config);
          const revoked = await context.get(ApiKeysService).revoke(reference);
          print(
            json,
            revoked,
            `Revoked ${revoked.prefix} ("${revoked.name}"). Replicas stop accepting it within a second (at most ${config.get(ApiKeysSettings).APIKEY_CACHE_TTL_SECONDS} s).`,
          );
          return;
        }
        case 'rotate': {
          const [reference] = args;
          if (reference === undefined) {
            throw new UsageError('api-keys rotate needs the key id or prefix');
          }
          const graceHours = positiveNumber(options['grace-hours'], 'grace-hours', 24) as number;
          context = await createCliContext(config);
          const created = await context.get(ApiKeysService).rotate(reference, graceHours);
          print(
            json,
            created,
            `New key for "${created.name}" (id ${created.id}); the old one expires in ${graceHours} h. Shown only now:\n\n  ${created.key}\n`,
          );
          return;
        }
        default:
          throw new UsageError('api-keys needs one of: create, list, revoke, rotate');
      }
    };
    await run();
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await (context as { close(): Promise<void> } | undefined)?.close();
  }
}

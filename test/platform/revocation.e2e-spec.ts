import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiKeysService, type CreatedApiKey } from 'src/api-keys/api-keys.service';
import { Tier } from 'src/api-keys/tier';
import { createCliContext } from 'src/cli/cli-context';
import { startService, type RunningService } from '../support/built-service';
import { TEST_DATABASE_URL, withAdminClient } from '../support/postgres';
import { freshDatabase, TEST_ENV, testConfig, type TestDatabase } from '../support/test-app';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two replicas of the production build on one PostgreSQL, revocations through the operator CLI. */
(TEST_DATABASE_URL ? describe : describe.skip)('revocation on every replica (needs TEST_DATABASE_URL)', () => {
  const TTL_SECONDS = 10;
  let database: TestDatabase;
  let env: Record<string, string | undefined>;
  let context: INestApplicationContext;
  let replicas: RunningService[] = [];

  const status = async (replica: RunningService, key: string) =>
    (await fetch(`${replica.baseUrl}/config`, { headers: { 'x-api-key': key } })).status;

  /** Polls until the replica refuses the key; the moment it did (epoch ms), or undefined past `withinMs`. */
  const refusedAt = async (replica: RunningService, key: string, withinMs: number) => {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      if ((await status(replica, key)) === 401) {
        return Date.now();
      }
      await sleep(2);
    }
    return undefined;
  };

  const cli = (...args: string[]) =>
    run(process.execPath, ['dist/src/cli/main.js', ...args], { env: { PATH: process.env.PATH, ...env } });

  const revokedAt = async (id: string) => {
    const [row] = await onDatabase(database, 'SELECT revoked_at FROM api_keys WHERE id = $1', [id]);
    return (row?.revoked_at as Date | undefined)?.getTime();
  };

  const metric = async (replica: RunningService, name: string) => {
    const text = await (await fetch(`${replica.baseUrl}/metrics`)).text();
    return text.split('\n').find((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));
  };

  beforeAll(async () => {
    database = await freshDatabase();
    env = {
      ...TEST_ENV,
      ...database.env,
      LOG_LEVEL: 'warn',
      APIKEY_CACHE_TTL_SECONDS: String(TTL_SECONDS),
      RATE_LIMIT_LIMIT: '10000000',
      AUTH_FAILURE_LIMIT: '10000000',
    };
    replicas = await Promise.all([startService(env), startService(env)]);
    context = await createCliContext(testConfig(database, env));
  });
  afterAll(async () => {
    for (const replica of replicas) {
      replica.process.kill('SIGTERM');
      await replica.exited;
    }
    await context?.close();
    await database?.drop();
  });

  it('should refuse a key revoked through the CLI on both replicas within 1 s (p99), while cached keys cost no query', async () => {
    const keys: CreatedApiKey[] = [];
    for (let i = 0; i < 50; i++) {
      keys.push(await context.get(ApiKeysService).create({ name: `revocation ${i}`, tier: Tier.Public }));
    }
    // Known to both replicas, and cached: from now on only a notification can make them refuse it.
    for (const { key } of keys) {
      for (const replica of replicas) {
        expect(await status(replica, key)).toBe(200);
      }
    }

    const delays: number[] = [];
    const BATCH = 5;
    for (let start = 0; start < keys.length; start += BATCH) {
      await Promise.all(
        keys.slice(start, start + BATCH).map(async ({ id, key }) => {
          const watching = replicas.map((replica) => refusedAt(replica, key, TTL_SECONDS * 1000 + 5_000));
          await cli('api-keys', 'revoke', id, '--json');
          const committed = (await revokedAt(id))!;
          for (const refused of await Promise.all(watching)) {
            expect(refused).toBeDefined();
            // From the revocation's timestamp (taken before its commit) to the first refusal: an upper bound.
            delays.push(refused! - committed);
          }
        }),
      );
    }
    delays.sort((a, b) => a - b);
    const at = (q: number) => delays[Math.min(delays.length - 1, Math.ceil(q * delays.length) - 1)];
    console.log(
      `revocation → refusal on each replica, ${delays.length} samples (50 CLI revocations × 2 replicas): ` +
        `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${delays[delays.length - 1]} ms`,
    );
    expect(at(0.99)).toBeLessThan(1_000);
    for (const replica of replicas) {
      expect(await metric(replica, 'invalidation_listener_connected')).toBe('invalidation_listener_connected 1');
      expect(await metric(replica, 'invalidations_received_total')).toMatch(/kind="api-key"/);
    }
  });

  it('should still refuse within the TTL when its listening connection is cut, and listen again by itself', async () => {
    const [, other] = replicas;
    const listener = `aura-authentication-api:invalidation:${other.process.pid}`;
    const listenerPid = async () =>
      withAdminClient(async (client) => {
        const { rows } = await client.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1`,
          [listener],
        );
        return rows[0]?.pid;
      });
    const notified = await context.get(ApiKeysService).create({ name: 'cut notified', tier: Tier.Public });
    const silent = await context.get(ApiKeysService).create({ name: 'cut silent', tier: Tier.Public });
    expect(await status(other, notified.key)).toBe(200);
    expect(await status(other, silent.key)).toBe(200);

    const before = await listenerPid();
    expect(before).toBeDefined();
    await withAdminClient((client) => client.query('SELECT pg_terminate_backend($1)', [before]));
    const cutAt = Date.now();

    // A revocation through the CLI while the replica may not be listening yet.
    await cli('api-keys', 'revoke', notified.id);
    // And one nobody announces (a direct UPDATE, as a lost notification would be): only the TTL bounds it.
    const silentRevokedAt = Date.now();
    await onDatabase(database, 'UPDATE api_keys SET revoked_at = now() WHERE id = $1', [silent.id]);

    const notifiedRefused = await refusedAt(other, notified.key, TTL_SECONDS * 1000);
    const silentRefused = await refusedAt(other, silent.key, TTL_SECONDS * 1000 + 2_000);
    expect(notifiedRefused).toBeDefined();
    expect(silentRefused).toBeDefined();

    let relistened: number | undefined;
    for (let i = 0; i < 100 && relistened === undefined; i++) {
      const gauge = await metric(other, 'invalidation_listener_connected');
      const pid = await listenerPid();
      if (gauge === 'invalidation_listener_connected 1' && pid !== undefined && pid !== before) {
        relistened = Date.now();
      } else {
        await sleep(100);
      }
    }
    expect(relistened).toBeDefined();
    console.log(
      `listener cut: CLI revocation refused ${notifiedRefused! - cutAt} ms after the cut, an unannounced one ` +
        `${silentRefused! - silentRevokedAt} ms after its UPDATE (TTL ${TTL_SECONDS} s); listening again ` +
        `${relistened! - cutAt} ms after the cut`,
    );

    // Listening for real again: a new revocation is seen at once.
    const after = await context.get(ApiKeysService).create({ name: 'after the cut', tier: Tier.Public });
    expect(await status(other, after.key)).toBe(200);
    await cli('api-keys', 'revoke', after.id);
    const started = Date.now();
    expect(await refusedAt(other, after.key, 1_000)).toBeDefined();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

/** One statement on the test's database, outside the service. */
async function onDatabase(
  database: TestDatabase,
  sql: string,
  parameters: unknown[],
): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: database.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, parameters)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiKeysService, type CreatedApiKey } from 'src/api-keys/api-keys.service';
import { Tier } from 'src/auth/tier';
import { CLI_ENTRY } from 'src/build-paths';
import { createCliContext } from 'src/cli/cli-context';
import { metricLine, startReplicas, statusSeenAt, stopReplicas, type RunningService } from '../support/built-service';
import { TEST_DATABASE_URL, withAdminClient } from '../support/postgres';
import { freshDatabase, TEST_ENV, testConfig, type TestDatabase } from '../support/test-app';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The contract (docs/revocation.md): a revoked key is refused on every replica within 1 s of the commit. */
const CONTRACT_MS = 1_000;
/**
 * What one stall of a busy shared machine may add to a sample (a poll stuck behind both cores held by other
 * work): the median must meet the contract, every sample up to the p99 the contract plus 3 s. Still far below
 * the 10 s cache TTL, the path a lost notification would take.
 */
const STALL_MARGIN_MS = 3_000;
/** How long a test waits for what takes milliseconds when all is well (not an assertion of speed). */
const PATIENCE_MS = 10_000;

/** Two replicas of the production build on one PostgreSQL, revocations through the operator CLI. */
(TEST_DATABASE_URL ? describe : describe.skip)('revocation on every replica (needs TEST_DATABASE_URL)', () => {
  const TTL_SECONDS = 10;
  jest.setTimeout(600_000);
  let database: TestDatabase;
  let env: Record<string, string | undefined>;
  let context: INestApplicationContext;
  let replicas: RunningService[] = [];

  const status = async (replica: RunningService, key: string) =>
    (await fetch(`${replica.baseUrl}/config`, { headers: { 'x-api-key': key } })).status;

  /** Polls until the replica refuses the key; the moment it did (epoch ms), or undefined past `withinMs`. */
  const refusedAt = (replica: RunningService, key: string, withinMs: number) =>
    statusSeenAt(() => status(replica, key), 401, withinMs);

  const acceptedWithin = async (replica: RunningService, key: string, withinMs: number) =>
    (await statusSeenAt(() => status(replica, key), 200, withinMs, 5)) !== undefined;

  const cli = (...args: string[]) =>
    run(process.execPath, [CLI_ENTRY, ...args], { env: { PATH: process.env.PATH, ...env } });

  let scrapeKey: string;
  const metric = (replica: RunningService, name: string) => metricLine(replica, scrapeKey, name);

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
    replicas = await startReplicas(env);
    context = await createCliContext(testConfig(database, env));
    scrapeKey = (await context.get(ApiKeysService).create({ name: 'prometheus', tier: Tier.Public })).key;
  });
  afterAll(async () => {
    await stopReplicas(replicas);
    await context?.close();
    await database?.drop();
  });

  it('should refuse a key revoked through the CLI on both replicas within 1 s of its commit (p99)', async () => {
    const keys: CreatedApiKey[] = [];
    for (let i = 0; i < 50; i++) {
      keys.push(await context.get(ApiKeysService).create({ name: `revocation ${i}`, tier: Tier.Public }));
    }
    // Known to both replicas, and cached: from now on only a notification can make them refuse it.
    for (const { key } of keys) {
      for (const replica of replicas) {
        expect(await acceptedWithin(replica, key, PATIENCE_MS)).toBe(true);
      }
    }

    // The commit clock: PostgreSQL delivers a notification when its transaction commits, to the test's own
    // LISTEN connection as to the replicas'.
    const commits = new Map<string, (at: number) => void>();
    const watcher = new Client({ connectionString: database.env.DATABASE_URL });
    await watcher.connect();
    watcher.on('notification', ({ payload }) => {
      const { i: prefix } = JSON.parse(payload ?? '{}') as { i?: string };
      commits.get(prefix ?? '')?.(Date.now());
    });
    await watcher.query('LISTEN aura_auth_invalidation');

    const delays: number[] = [];
    const BATCH = 5;
    try {
      for (let start = 0; start < keys.length; start += BATCH) {
        await Promise.all(
          keys.slice(start, start + BATCH).map(async ({ id, key }) => {
            const prefix = key.split('_').slice(0, 3).join('_');
            const committed = new Promise<number>((resolve) => commits.set(prefix, resolve));
            const revoking = cli('api-keys', 'revoke', id, '--json');
            const commitAt = await Promise.race([committed, revoking.then(() => committed)]);
            const refused = await Promise.all(replicas.map((replica) => refusedAt(replica, key, TTL_SECONDS * 1000)));
            await revoking;
            for (const at of refused) {
              expect(at).toBeDefined();
              delays.push(Math.max(0, at! - commitAt));
            }
          }),
        );
      }
    } finally {
      await watcher.end();
    }
    delays.sort((a, b) => a - b);
    const at = (q: number) => delays[Math.min(delays.length - 1, Math.ceil(q * delays.length) - 1)];
    console.log(
      `revocation → refusal on each replica, ${delays.length} samples (50 CLI revocations × 2 replicas): ` +
        `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${delays[delays.length - 1]} ms`,
    );
    expect(at(0.5)).toBeLessThan(CONTRACT_MS);
    expect(at(0.99)).toBeLessThan(CONTRACT_MS + STALL_MARGIN_MS);
    for (const replica of replicas) {
      expect(await metric(replica, 'invalidation_listener_connected')).toBe('invalidation_listener_connected 1');
      expect(await metric(replica, 'invalidations_received_total{kind="api-key"}')).toMatch(/ [1-9]\d*$/);
      const sum = Number(
        (await metric(replica, 'invalidation_apply_delay_seconds_sum{kind="api-key"}'))?.split(' ')[1],
      );
      const count = Number(
        (await metric(replica, 'invalidation_apply_delay_seconds_count{kind="api-key"}'))?.split(' ')[1],
      );
      // The 50 revocations (key creations are counted under their own kind).
      expect(count).toBeGreaterThanOrEqual(50);
      console.log(
        `replica's own histogram: ${count} invalidations applied, mean publish → applied ${((sum / count) * 1000).toFixed(1)} ms`,
      );
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
    expect(await acceptedWithin(other, notified.key, PATIENCE_MS)).toBe(true);
    expect(await acceptedWithin(other, silent.key, PATIENCE_MS)).toBe(true);

    const before = await listenerPid();
    expect(before).toBeDefined();
    await withAdminClient((client) => client.query('SELECT pg_terminate_backend($1)', [before]));
    const cutAt = Date.now();
    const relistening = (async () => {
      for (const until = Date.now() + 30_000; Date.now() < until;) {
        const gauge = await metric(other, 'invalidation_listener_connected');
        const pid = await listenerPid();
        if (gauge === 'invalidation_listener_connected 1' && pid !== undefined && pid !== before) {
          return Date.now();
        }
        await sleep(20);
      }
      return undefined;
    })();

    // A revocation nobody announces (a direct UPDATE, as a notification lost during the cut would be):
    // the caches flushed at the cut and the TTL bound it.
    const silentRevokedAt = Date.now();
    await onDatabase(database, 'UPDATE api_keys SET revoked_at = now() WHERE id = $1', [silent.id]);
    const silentRefused = await refusedAt(other, silent.key, TTL_SECONDS * 1000);
    expect(silentRefused).toBeDefined();

    const relistened = await relistening;
    expect(relistened).toBeDefined();

    // A revocation through the CLI after the cut: announced again.
    await cli('api-keys', 'revoke', notified.id);
    const revokedDone = Date.now();
    const notifiedRefused = await refusedAt(other, notified.key, CONTRACT_MS + STALL_MARGIN_MS);
    expect(notifiedRefused).toBeDefined();
    console.log(
      `listener cut: listening again ${relistened! - cutAt} ms after the cut; an unannounced revocation refused ` +
        `${silentRefused! - silentRevokedAt} ms after its UPDATE (TTL ${TTL_SECONDS} s); a CLI revocation after ` +
        `reconnection refused ${notifiedRefused! - revokedDone} ms after the CLI exited`,
    );

    // Listening for real again: a new revocation is seen at once.
    const after = await context.get(ApiKeysService).create({ name: 'after the cut', tier: Tier.Public });
    // A new key id reaches the replica by its own notification, milliseconds after the commit.
    expect(await acceptedWithin(other, after.key, PATIENCE_MS)).toBe(true);
    await cli('api-keys', 'revoke', after.id);
    const started = Date.now();
    const afterRefused = await refusedAt(other, after.key, PATIENCE_MS);
    console.log(
      `revocation after the cut refused ${afterRefused === undefined ? 'never' : afterRefused - started} ms after the CLI exited`,
    );
    expect(afterRefused).toBeDefined();
    expect(afterRefused! - started).toBeLessThan(CONTRACT_MS + STALL_MARGIN_MS);
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

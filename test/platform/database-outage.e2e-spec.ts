import { PersonalDataCipher } from 'src/users/personal-data';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { InjectOptions, Response } from 'light-my-request';
import { Tier } from 'src/auth/tier';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import { startService } from '../support/built-service';
import { TEST_DATABASE_URL, withAdminClient } from '../support/postgres';
import { TcpProxy } from '../support/tcp-proxy';
import { CLI_ENTRY } from 'src/build-paths';
import {
  apiKeyHeader,
  createTestApp,
  freshDatabase,
  TEST_ENV,
  type TestApp,
  type TestDatabase,
} from '../support/test-app';
import { AuditSettings } from 'src/audit/audit.settings';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { DatabaseSettings } from 'src/database/database.settings';
import { UsersSettings } from 'src/users/users.settings';

/** Milliseconds until `probe` answers `status`, polled as fast as it answers (up to 30 s). */
async function msUntil(probe: () => Promise<number>, status: number): Promise<number> {
  const started = Date.now();
  expect(await waitFor(async () => (await probe()) === status)).toBe(true);
  return Date.now() - started;
}

/** Polls `check` until it holds, for up to `withinMs` (a bound on a wait, not an assertion of speed). */
async function waitFor(check: () => Promise<boolean>, withinMs = 30_000): Promise<boolean> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline;) {
    if (await check()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** The database connection cut and restored under the service, through a proxy the test controls. */
(TEST_DATABASE_URL ? describe : describe.skip)('database outage (needs TEST_DATABASE_URL)', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase();
    const url = new URL(database.env.DATABASE_URL!);
    proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(await proxy.start());
    t = await createTestApp({
      DATABASE_URL: url.toString(),
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      APIKEY_CACHE_TTL_SECONDS: '0',
      RATE_LIMIT_LIMIT: '1000000',
    });
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
    await database.drop();
  });

  it('should turn unready within 2 s, stay alive, answer 503 problems, and recover by itself', async () => {
    const { key } = await t.createKey(Tier.Public);
    const status = (url: string) => async () => (await t.request({ method: 'GET', url })).statusCode;
    expect(await status('/readyz')()).toBe(200);

    proxy.cut();
    const unready = await msUntil(status('/readyz'), 503);
    const down = await t.request({ method: 'GET', url: '/readyz' });
    expect(down.json()).toMatchObject({ code: 'unhealthy', checks: { database: { status: 'down' } } });
    // The probe needs no key: it names the failing check, never the driver's message (hosts, users…).
    expect(down.json().checks.database).toEqual({ status: 'down' });
    // Liveness is the process alone: a database outage must not make Kubernetes restart every pod.
    expect(await status('/healthz')()).toBe(200);
    const call = await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) });
    expect(call.statusCode).toBe(503);
    expect(call.json()).toMatchObject({ code: 'database_unavailable' });
    expect(call.headers['retry-after']).toBe('1');

    proxy.blackhole();
    expect(await status('/healthz')()).toBe(200);
    const hanging = Date.now();
    expect(await status('/readyz')()).toBe(503);
    const blackholed = Date.now() - hanging;

    proxy.restore();
    const ready = await msUntil(status('/readyz'), 200);
    expect(await status('/healthz')()).toBe(200);
    expect((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode).toBe(200);
    console.log(
      `database outage: /readyz 503 after ${unready} ms (refused), ${blackholed} ms (blackholed); ` +
        `200 again ${ready} ms after the database came back; /healthz 200 throughout`,
    );
    // The contract is 2 s each way; 3 s more for a stall of this shared 2-core machine (the figures are logged).
    for (const ms of [unready, blackholed, ready]) {
      expect(ms).toBeLessThanOrEqual(2_000 + 3_000);
    }
  });

  it('should fail fast, not hang, when a backend is terminated mid-flight', async () => {
    const { key } = await t.createKey(Tier.Public);
    await t.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const statuses = new Set<number>();
    for (let i = 0; i < 5; i++) {
      statuses.add((await t.request({ method: 'GET', url: '/config', headers: apiKeyHeader(key) })).statusCode);
    }
    expect([...statuses].every((status) => status === 200 || status === 503)).toBe(true);
    expect(await waitFor(async () => (await t.request({ method: 'GET', url: '/readyz' })).statusCode === 200)).toBe(
      true,
    );
  });

  it('should shed load with 503 problems, never hang, recover, and write nothing half while faults hit under load', async () => {
    const kernel = { authorization: `APIKEY ${(await t.createKey(Tier.Kernel)).key}` };
    const publicKey = apiKeyHeader((await t.createKey(Tier.Public)).key);
    const cipher = new CallbackCipher(parseCipherKeys(t.config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
    const hash = (phone: string) =>
      createHmac('sha256', t.config.get(AuditSettings).AUDIT_HMAC_SECRET).update(phone).digest('hex');
    // Numbers are sealed at rest: a person's records are found by the blind index (docs/pii.md).
    const pii = new PersonalDataCipher(t.config.get(UsersSettings));
    const index = (phone: string) => pii.phoneIndex(phone);
    const phoneOf = (n: number) => `+3469${String(n).padStart(7, '0')}`;

    // People to erase during the faults, each with a record created while the database was fine.
    const doomed = Array.from({ length: 60 }, (_, i) => phoneOf(5_000_000 + i));
    for (const phone of doomed) {
      const seeded = await t.request({
        method: 'GET',
        url: `/users/aura-id?channel=web&userId=u-${phone.slice(1)}&authorizationId=a-1&phoneNumber=${encodeURIComponent(phone)}`,
        headers: kernel,
      });
      expect(seeded.statusCode).toBe(201);
    }

    // What a request may take at most: a connection (connect timeout) and a statement (client-side timeout),
    // plus 5 s of margin for a busy shared machine (twelve workers and the faults on two loaded cores); a request
    // that hangs on a dead connection would never come back.
    const deadlineMs =
      t.config.get(DatabaseSettings).DATABASE_CONNECT_TIMEOUT_MS +
      t.config.get(DatabaseSettings).DATABASE_STATEMENT_TIMEOUT_MS +
      5_000;
    let logins = 0;
    const erased: string[] = [];
    const outcomes: Array<{
      kind: string;
      /** The HTTP status, 'hung', or the message of an error thrown by the test app (a contract violation). */
      status: number | string;
      phone?: string;
      ms: number;
    }> = [];
    const send = async (kind: string, options: InjectOptions, phone?: string) => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), deadlineMs)));
      const result = await Promise.race([
        t.request(options).then(
          (response: Response) => response,
          (error: Error) => error.message,
        ),
        deadline,
      ]);
      clearTimeout(timer);
      const status = typeof result === 'string' ? result : result.statusCode;
      outcomes.push({ kind, status, phone, ms: Date.now() - started });
      if (typeof result !== 'string' && result.statusCode === 503) {
        expect(result.json().code).toBe('database_unavailable');
      }
    };
    let stop = false;
    const worker = async (id: number) => {
      for (let i = 0; !stop; i++) {
        const phone = phoneOf(id * 100_000 + i);
        switch (i % 4) {
          case 0: {
            logins++;
            const data = sealPayload(cipher, CallbackPurpose.Login, {
              channel: 'web',
              userId: `u-${phone.slice(1)}`,
              authorizationId: 'a-cb',
              phoneNumber: phone,
            });
            await send(
              'callback login',
              { method: 'GET', url: `/users/auraid/integrated?data=${encodeURIComponent(data)}` },
              phone,
            );
            break;
          }
          case 1: {
            const target = doomed.pop();
            if (target !== undefined) {
              erased.push(target);
              await send(
                'erasure',
                { method: 'DELETE', url: `/admin/users/phone-numbers/${encodeURIComponent(target)}`, headers: kernel },
                target,
              );
            }
            break;
          }
          case 2:
            await send('get-or-create', {
              method: 'GET',
              url: `/users/aura-id?channel=tv&userId=u-${phone.slice(1)}&authorizationId=a-2`,
              headers: kernel,
            });
            break;
          default:
            await send('config', { method: 'GET', url: '/config', headers: publicKey });
        }
      }
    };
    const health: number[] = [];
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const probe = async () => (await t.request({ method: 'GET', url: '/readyz' })).statusCode;
    const terminateBackends = () =>
      withAdminClient((client) =>
        client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [new URL(database.env.DATABASE_URL!).pathname.slice(1)],
        ),
      );

    const workers = Array.from({ length: 12 }, (_, id) => worker(id + 1));
    const faults: string[] = [];
    const succeededSince = (from: number) =>
      waitFor(() => Promise.resolve(outcomes.slice(from).some((o) => o.status === 200 || o.status === 201)));
    // The faults hit a service at work: once requests succeed (a condition, not a delay).
    expect(await succeededSince(0)).toBe(true);
    proxy.cut();
    faults.push('cut');
    await pause(400);
    health.push(await probe());
    await pause(300);
    proxy.restore();
    await pause(500);
    proxy.blackhole();
    faults.push('blackhole');
    await pause(400);
    health.push(await probe());
    await pause(300);
    proxy.restore();
    for (let i = 0; i < 3; i++) {
      await pause(300);
      await terminateBackends();
      faults.push('pg_terminate_backend');
    }
    // And the workers see it recover before they stop.
    expect(await succeededSince(outcomes.length)).toBe(true);
    stop = true;
    await Promise.all(workers);
    expect(await waitFor(async () => (await probe()) === 200)).toBe(true);

    // Every request came back before its deadline, with a success or a 503 problem: nothing hung, nothing else.
    expect(outcomes.filter((o) => o.status === 'hung')).toEqual([]);
    expect([...new Set(outcomes.map((o) => o.status))].filter((s) => ![200, 201, 503].includes(s as number))).toEqual(
      [],
    );
    expect(outcomes.some((o) => o.status === 503)).toBe(true);
    expect(outcomes.some((o) => o.status === 200 || o.status === 201)).toBe(true);
    expect(health.every((status) => status === 503)).toBe(true);

    // All or nothing: a login's token, audit row and record exist together or not at all; an erasure's audit
    // row exists exactly when the person's record is gone. A 2xx promised the effect; a 503 may or may not
    // have committed (the answer to a COMMIT can be lost), but never half of it.
    const loginPeople = outcomes.filter((o) => o.kind === 'callback login').map((o) => o.phone!);
    const state = await t.query<{ phone: string; token: boolean; audit: boolean; user: boolean }>(
      `SELECT p.phone,
         EXISTS (SELECT 1 FROM consumed_callback_tokens c WHERE c.subject_hash = p.hash) AS token,
         EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'callback.login' AND a.subject_hash = p.hash) AS audit,
         EXISTS (SELECT 1 FROM aura_users u WHERE u.phone_number_index = p.idx) AS "user"
       FROM unnest($1::text[], $2::text[], $3::text[]) AS p(phone, hash, idx)`,
      [loginPeople, loginPeople.map(hash), loginPeople.map(index)],
    );
    expect(state.filter((row) => !(row.token === row.audit && row.audit === row.user))).toEqual([]);
    const loggedIn = new Set(
      outcomes.filter((o) => o.kind === 'callback login' && o.status === 201).map((o) => o.phone),
    );
    expect(state.filter((row) => loggedIn.has(row.phone) && !row.user)).toEqual([]);

    const erasures = await t.query<{ phone: string; audit: boolean; user: boolean }>(
      `SELECT p.phone,
         EXISTS (SELECT 1 FROM audit_events a WHERE a.action = 'users.erased_by_phone_number' AND a.subject_hash = p.hash) AS audit,
         EXISTS (SELECT 1 FROM aura_users u WHERE u.phone_number_index = p.idx) AS "user"
       FROM unnest($1::text[], $2::text[], $3::text[]) AS p(phone, hash, idx)`,
      [erased, erased.map(hash), erased.map(index)],
    );
    expect(erasures.filter((row) => row.audit === row.user)).toEqual([]);
    const confirmed = new Set(outcomes.filter((o) => o.kind === 'erasure' && o.status === 200).map((o) => o.phone));
    expect(erasures.filter((row) => confirmed.has(row.phone) && row.user)).toEqual([]);

    const unavailable = outcomes.filter((o) => o.status === 503).length;
    console.log(
      `database faults under load: ${outcomes.length} requests (${logins} callback logins, ${erased.length} erasures), ` +
        `${unavailable} answered 503, none hung (slowest ${Math.max(...outcomes.map((o) => o.ms))} ms, deadline ${deadlineMs} ms); ` +
        `faults injected: ${faults.length} (${faults.join(', ')})`,
    );
  });

  it('should keep running, and answer 503 meanwhile, when backends are terminated under load (production build)', async () => {
    const own = await freshDatabase();
    const env = { ...TEST_ENV, ...own.env };
    const created = execFileSync(
      process.execPath,
      [CLI_ENTRY, 'api-keys', 'create', '--name', 'load', '--tier', 'kernel', '--json'],
      {
        env: { PATH: process.env.PATH, ...env },
      },
    );
    const { key } = JSON.parse(created.toString()) as { key: string };
    // Requests queue for connections (a small pool, keys read from the database every time): a connection
    // released by one statement goes straight to the next waiting request, as the backend behind it dies.
    const service = await startService({
      ...env,
      DATABASE_POOL_MAX: '4',
      APIKEY_CACHE_TTL_SECONDS: '0',
      LOG_LEVEL: 'warn',
    });
    try {
      const statuses = new Map<number | string, number>();
      let stop = false;
      const worker = async (id: number) => {
        for (let i = 0; !stop; i++) {
          const url = `${service.baseUrl}/users/aura-id?channel=web&userId=u-${id}-${i}&authorizationId=a`;
          const status = await fetch(url, { headers: { authorization: `APIKEY ${key}` } }).then(
            async (response) => {
              await response.arrayBuffer();
              return response.status;
            },
            (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
          );
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      };
      const workers = Array.from({ length: 16 }, (_, id) => worker(id));
      const terminations = 15;
      for (let i = 0; i < terminations; i++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        await withAdminClient((client) =>
          client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [
            new URL(own.env.DATABASE_URL!).pathname.slice(1),
          ]),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      stop = true;
      await Promise.all(workers);

      expect(service.process.exitCode).toBeNull();
      expect([...statuses.keys()].filter((status) => ![200, 201, 503].includes(status as number))).toEqual([]);
      expect(await waitFor(async () => (await fetch(`${service.baseUrl}/readyz`)).status === 200)).toBe(true);
      console.log(
        `production build under ${terminations} rounds of pg_terminate_backend: still running; ` +
          `${JSON.stringify(Object.fromEntries(statuses))}`,
      );
    } finally {
      service.process.kill('SIGKILL');
      await service.exited;
      await own.drop();
    }
  });
});

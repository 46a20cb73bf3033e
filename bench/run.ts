/**
 * `npm run bench`: the service built for production against PostgreSQL, driven by autocannon from this
 * process, next to a bare Fastify + pg baseline running the same SQL (bench/baseline.ts), in the same run.
 * Reports requests/s, latency percentiles, errors and the ratio service/baseline per scenario, and the
 * service's peak RSS. Configuration: BENCH_DATABASE_URL (a PostgreSQL server where a throw-away database
 * may be created; without it the embedded database is used, with a warning), BENCH_DURATION_SECONDS (8),
 * BENCH_REPETITIONS (3), BENCH_CONNECTIONS (50), BENCH_USERS (100000), BENCH_PROFILE=1 (CPU profile of the service),
 * BENCH_ONLY (comma-separated parts of scenario names: run only those, and check no targets), BENCH_SERVICE_FLAGS
 * (extra node flags for the service, e.g. `--trace-gc`; its stdout then goes to bench-results/service.out),
 * BENCH_LOG_LEVEL (info).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { generateApiKey, hashApiKey } from 'src/api-keys/api-key-format';
import { pacedLoad, type PacedLoadOptions, type LoadResult } from './paced-load';
import { CLI_ENTRY, SERVICE_ENTRY } from 'src/build-paths';

const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 8);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const FIXED_RATE = 1_000;
const DELETES_PER_RUN = 5_000;
const CHANNELS = ['web', 'app', 'tv'];
const RESULTS_DIR = 'bench-results';
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean);

type Target = 'service' | 'baseline';

interface Measurement {
  requestsPerSecond: number;
  /** CPU time of the server process per request, in ms: steadier than throughput on a shared machine. */
  cpuMsPerRequest: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  non2xx: number;
}

interface ScenarioResult {
  name: string;
  service: Measurement;
  baseline: Measurement;
  ratio: number;
  p99Ratio: number;
}

interface Scenario {
  name: string;
  /** Builds the autocannon options for a run against a target. */
  options(target: Target): autocannon.Options;
  /** Set for a fixed-rate scenario: the open-loop load it runs instead of autocannon. */
  paced?(target: Target): PacedLoadOptions;
}

// --- database ---------------------------------------------------------------------------------------

interface BenchDatabase {
  serviceEnv: Record<string, string>;
  baselineEnv: Record<string, string>;
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Called once seeding is done (the embedded database copies its folder for the baseline). */
  seeded(): Promise<void>;
  close(): Promise<void>;
}

const node = (args: string[], env: Record<string, string>) =>
  execFileSync(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();

async function postgresDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `aura_bench_${process.pid}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const env = { DATABASE_URL: url.toString() };
  node([CLI_ENTRY, 'migrations', 'run'], env);
  const client = new Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  return {
    serviceEnv: env,
    baselineEnv: env,
    query: async (sql, params) => (await client.query<Record<string, unknown>>(sql, params)).rows,
    seeded: () => Promise.resolve(),
    close: async () => {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Embedded fallback: the service and the baseline each get their own copy of the seeded PGlite folder. */
async function embeddedDatabase(): Promise<BenchDatabase> {
  console.warn('\n  WARNING: BENCH_DATABASE_URL is not set; benchmarking on the embedded database (PGlite).');
  console.warn('  Its figures say little about production: set BENCH_DATABASE_URL to a PostgreSQL server.\n');
  const { PGlite } = await import('@electric-sql/pglite');
  const root = mkdtempSync(join(tmpdir(), 'aura-bench-'));
  const serviceDir = join(root, 'service');
  node([CLI_ENTRY, 'migrations', 'run'], { DATA_DIR: serviceDir });
  // PGlite belongs to one process at a time: opened here only while the servers are not running.
  let db: InstanceType<typeof PGlite> | undefined;
  const open = async () => (db ??= await PGlite.create({ dataDir: join(serviceDir, 'pglite') }));
  return {
    serviceEnv: { DATA_DIR: serviceDir },
    baselineEnv: { BASELINE_PGLITE_DIR: join(root, 'baseline', 'pglite') },
    query: async (sql, params) => (await (await open()).query<Record<string, unknown>>(sql, params)).rows,
    seeded: async () => {
      await db?.close();
      db = undefined;
      cpSync(join(serviceDir, 'pglite'), join(root, 'baseline', 'pglite'), { recursive: true });
    },
    close: async () => {
      await db?.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** 100,000 realistic users across channels (half Kernel-authenticated, half WhatsApp identifiable), and users to delete. */
async function seed(db: BenchDatabase, deletable: number): Promise<void> {
  const half = Math.floor(USERS / 2);
  await db.query(
    `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, subscription_type, authorization_id,
       authentication_context, expires_at)
     SELECT 'bench-k-' || n, md5('global-' || n)::uuid::text, 'bench-user-' || n, (ARRAY['web','app','tv'])[1 + n % 3],
       'authenticated', (ARRAY['postpaid','prepaid','hybrid','control'])[1 + n % 4], 'bench-authz-' || n,
       '{"loa":2,"scopes":["profile"],"purposes":["chat"]}'::jsonb, now() + interval '30 days'
     FROM generate_series(1, $1::int) n`,
    [half],
  );
  await db.query(
    `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, phone_number, expires_at)
     SELECT 'bench-wa-' || n, md5('wa-global-' || n)::uuid::text, md5('wa-user-' || n)::uuid::text, 'whatsapp',
       'identifiable', '+3460' || lpad(n::text, 7, '0'), now() + interval '30 days'
     FROM generate_series(1, $1::int) n`,
    [USERS - half],
  );
  await db.query(
    `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, expires_at)
     SELECT 'bench-del-' || n, md5('del-' || n)::uuid::text, 'bench-del-user-' || n, 'web', 'identifiable',
       now() + interval '30 days'
     FROM generate_series(1, $1::int) n`,
    [deletable],
  );
  await db.query('ANALYZE aura_users');
}

/** Two keys per tier; returns one internal and one kernel key for the load. */
async function createKeys(db: BenchDatabase): Promise<{ internal: string; kernel: string }> {
  const created: Record<string, string> = {};
  for (const tier of ['internal', 'kernel', 'public']) {
    for (let i = 0; i < 2; i++) {
      const key = generateApiKey('bench');
      await db.query(
        `INSERT INTO api_keys (id, name, prefix, secret_hash, tier) VALUES (gen_random_uuid(), $1, $2, $3, $4)`,
        [`bench ${tier} ${i}`, `aak_bench_${key.publicId}`, hashApiKey(key.key), tier],
      );
      created[tier] ??= key.key;
    }
  }
  return { internal: created.internal, kernel: created.kernel };
}

// --- processes -------------------------------------------------------------------------------------------

interface Server {
  name: Target;
  url: string;
  process: ChildProcess;
}

async function start(name: Target, args: string[], env: Record<string, string>): Promise<Server> {
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: [
      'ignore',
      process.env.BENCH_SERVICE_FLAGS ? openSync(join(RESULTS_DIR, `${name}.out`), 'w') : 'ignore',
      'inherit',
    ],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (
      await fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      )
    ) {
      return { name, url, process: child };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start`);
}

/** The V8 flags of `npm start` (the same as NODE_OPTIONS in the Dockerfile): the service runs as shipped. */
function startFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  return scripts.start.split(' ').filter((part) => part.startsWith('--'));
}

/** Peak resident set size (VmHWM) of a process, in MB. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Math.round(Number(match[1]) / 1024);
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  await exited;
}

// --- load ------------------------------------------------------------------------------------------------

/** User + system CPU time of a process so far, in ms (Linux clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measureServer(server: Server, scenario: Scenario, target: Target): Promise<Measurement> {
  const before = cpuMs(server.process.pid!);
  const { requests, ...measurement } = scenario.paced
    ? await pacedLoad(scenario.paced(target))
    : await measure(scenario.options(target));
  const cpuMsPerRequest = Math.round(((cpuMs(server.process.pid!) - before) / Math.max(1, requests)) * 1000) / 1000;
  return { ...measurement, cpuMsPerRequest };
}

function measure(options: autocannon.Options): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => {
      if (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      resolve({
        requests: result.requests.total,
        requestsPerSecond: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        p999: (result.latency as unknown as Record<string, number>).p99_9,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
      });
    });
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function medianOf(runs: Measurement[]): Measurement {
  const pick = (key: keyof Measurement) => median(runs.map((run) => run[key]));
  return {
    requestsPerSecond: Math.round(pick('requestsPerSecond')),
    cpuMsPerRequest: pick('cpuMsPerRequest'),
    p50: pick('p50'),
    p99: pick('p99'),
    p999: pick('p999'),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
  };
}

function randomInt(max: number): number {
  return Math.floor(Math.random() * max) + 1;
}

function scenarios(servers: Record<Target, Server>, keys: { internal: string; kernel: string }): Scenario[] {
  const half = Math.floor(USERS / 2);
  const internal = { 'x-api-key': keys.internal };
  const kernel = { 'x-api-key': keys.kernel };
  const base = (target: Target) => ({ url: servers[target].url, connections: CONNECTIONS, duration: DURATION });
  const existingUserPath = () => `/users/bench-k-${randomInt(half)}`;
  const guardedGet = (target: Target): autocannon.Options => ({
    ...base(target),
    headers: internal,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: existingUserPath() }) }],
  });
  let nextDelete = 0;
  return [
    { name: 'GET /users/{auraId}', options: guardedGet },
    {
      name: 'GET /users/aura-id (90% existing)',
      options: (target) => ({
        ...base(target),
        headers: kernel,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => {
              const existing = Math.random() < 0.9;
              const n = existing ? randomInt(half) : randomBytes(8).toString('hex');
              const channel = existing ? CHANNELS[(n as number) % 3] : 'web';
              const path = `/users/aura-id?channel=${channel}&userId=bench-user-${n}&authorizationId=bench-authz-${n}`;
              return { ...request, path };
            },
          },
        ],
      }),
    },
    {
      name: 'DELETE /users/{auraId}',
      options: (target) => ({
        url: servers[target].url,
        connections: CONNECTIONS,
        amount: DELETES_PER_RUN,
        headers: internal,
        requests: [
          { method: 'DELETE', setupRequest: (request) => ({ ...request, path: `/users/bench-del-${++nextDelete}` }) },
        ],
      }),
    },
    {
      name: 'GET /openid/jwk',
      options: (target) => ({ ...base(target), requests: [{ method: 'GET', path: '/openid/jwk' }] }),
    },
    {
      name: 'GET /healthz',
      options: (target) => ({ ...base(target), requests: [{ method: 'GET', path: '/healthz' }] }),
    },
    {
      name: `GET /users/{auraId} at ${FIXED_RATE} req/s`,
      // Warm-up only; the measured runs are paced.
      options: guardedGet,
      paced: (target) => ({
        url: servers[target].url,
        rate: FIXED_RATE,
        durationSeconds: DURATION,
        headers: internal,
        path: existingUserPath,
      }),
    },
  ];
}

async function runScenario(scenario: Scenario, servers: Record<Target, Server>): Promise<ScenarioResult> {
  const runs: Record<Target, Measurement[]> = { service: [], baseline: [] };
  for (const target of ['service', 'baseline'] as Target[]) {
    // Warm-up: JIT, connection pools, prepared statements, caches.
    await measure({ ...scenario.options(target), duration: 2, amount: undefined });
  }
  for (let run = 0; run < REPETITIONS; run++) {
    for (const target of ['service', 'baseline'] as Target[]) {
      runs[target].push(await measureServer(servers[target], scenario, target));
    }
  }
  const service = medianOf(runs.service);
  const baseline = medianOf(runs.baseline);
  return {
    name: scenario.name,
    service,
    baseline,
    ratio: Math.round((service.requestsPerSecond / baseline.requestsPerSecond) * 100) / 100,
    p99Ratio: Math.round((service.p99 / Math.max(baseline.p99, 1)) * 100) / 100,
  };
}

function table(results: ScenarioResult[]): string {
  const header =
    '| scenario | service req/s | baseline req/s | ratio | CPU ms/req (s / b) | p50 ms (s / b) | p99 ms (s / b) | p99.9 ms (s / b) | errors (s / b) | non-2xx (s / b) |';
  const pair = (r: ScenarioResult, key: keyof Measurement) => `${r.service[key]} / ${r.baseline[key]}`;
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.service.requestsPerSecond} | ${r.baseline.requestsPerSecond} | ${r.ratio} | ${pair(r, 'cpuMsPerRequest')} | ` +
      `${pair(r, 'p50')} | ${pair(r, 'p99')} | ${pair(r, 'p999')} | ${pair(r, 'errors')} | ${pair(r, 'non2xx')} |`,
  );
  return [header, '|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  const deletable = DELETES_PER_RUN * (REPETITIONS + 1) * 2 + 1_000;
  const db = serverUrl ? await postgresDatabase(serverUrl) : await embeddedDatabase();
  const servers: Partial<Record<Target, Server>> = {};
  try {
    console.log(`Seeding ${USERS} users (+${deletable} to delete) and API keys…`);
    await seed(db, deletable);
    const keys = await createKeys(db);
    await db.seeded();

    const auditSecret = randomBytes(32).toString('hex');
    const signingKeys = `[${node([CLI_ENTRY, 'openid', 'generate-key', '--alg', 'ES256', '--state', 'active'], {})}]`;
    const production = serverUrl !== undefined;
    servers.service = await start(
      'service',
      [
        ...startFlags(),
        ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}`] : []),
        ...(process.env.BENCH_SERVICE_FLAGS?.split(' ').filter(Boolean) ?? []),
        SERVICE_ENTRY,
      ],
      {
        ...db.serviceEnv,
        NODE_ENV: production ? 'production' : 'development',
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
        APIKEY_ENVIRONMENT: 'bench',
        RATE_LIMIT_LIMIT: '10000000',
        AUDIT_HMAC_SECRET: auditSecret,
        CALLBACK_CIPHER_KEYS: `bench:${randomBytes(32).toString('base64url')}`,
        OPENID_SIGNING_KEYS: signingKeys,
        PUBLIC_BASE_URL: 'https://aura-auth.bench.example',
      },
    );
    const jwks = await (await fetch(`${servers.service.url}/openid/jwk`)).text();
    servers.baseline = await start('baseline', ['dist-bench/bench/baseline.js'], {
      ...db.baselineEnv,
      AUDIT_HMAC_SECRET: auditSecret,
      BASELINE_INTERNAL_KEY: keys.internal,
      BASELINE_KERNEL_KEY: keys.kernel,
      BASELINE_JWKS: jwks,
    });

    const results: ScenarioResult[] = [];
    const selected = scenarios(servers as Record<Target, Server>, keys).filter(
      (scenario) => ONLY === undefined || ONLY.some((part) => scenario.name.includes(part)),
    );
    for (const scenario of selected) {
      process.stdout.write(`  ${scenario.name}… `);
      const result = await runScenario(scenario, servers as Record<Target, Server>);
      results.push(result);
      console.log(
        `${result.service.requestsPerSecond} vs ${result.baseline.requestsPerSecond} req/s (ratio ${result.ratio})`,
      );
    }
    const peakRss = {
      service: peakRssMb(servers.service.process.pid!),
      baseline: peakRssMb(servers.baseline.process.pid!),
    };
    for (const server of [servers.service, servers.baseline]) {
      await stop(server);
    }
    delete servers.service;
    delete servers.baseline;
    const duplicates = await db.query(
      `SELECT count(*)::int AS count FROM (SELECT 1 FROM aura_users GROUP BY channel, user_id, authorization_id HAVING count(*) > 1) d`,
    );
    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      database: serverUrl ? 'postgresql' : 'embedded (PGlite)',
      settings: { durationSeconds: DURATION, repetitions: REPETITIONS, connections: CONNECTIONS, users: USERS },
      peakRssMb: peakRss,
      duplicateUsersAfterGetOrCreate: Number(duplicates[0].count),
      results,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(`\n${table(results)}\n`);
    console.log(`Peak RSS: service ${peakRss.service} MB, baseline ${peakRss.baseline} MB.`);
    console.log(`Duplicate users after get-or-create: ${report.duplicateUsersAfterGetOrCreate}.`);
    console.log(`Written to ${RESULTS_DIR}/latest.json.`);
    if (ONLY === undefined) {
      printTargets(results, peakRss.service, report.duplicateUsersAfterGetOrCreate);
    }
  } finally {
    for (const server of Object.values(servers)) {
      await stop(server);
    }
    await db.close();
  }
}

function printTargets(results: ScenarioResult[], peakRss: number, duplicates: number): void {
  const [get, getOrCreate, , , , fixed] = results;
  const checks: [string, boolean][] = [
    [`GET /users/{auraId}: ratio ${get.ratio} ≥ 0.75`, get.ratio >= 0.75],
    [`GET /users/{auraId}: p99 ratio ${get.p99Ratio} ≤ 1.5`, get.p99Ratio <= 1.5],
    [`get-or-create: ratio ${getOrCreate.ratio} ≥ 0.6`, getOrCreate.ratio >= 0.6],
    [
      `get-or-create: errors ${getOrCreate.service.errors} = 0, duplicates ${duplicates} = 0`,
      getOrCreate.service.errors === 0 && duplicates === 0,
    ],
    [`fixed ${FIXED_RATE} req/s: service p99 ${fixed.service.p99} ms ≤ 10`, fixed.service.p99 <= 10],
    [`peak RSS ${peakRss} MB ≤ 250`, peakRss <= 250],
  ];
  console.log('Targets:');
  for (const [text, met] of checks) {
    console.log(`  ${met ? 'met   ' : 'MISSED'} ${text}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

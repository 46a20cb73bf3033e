/**
 * `npm run bench`: the service built for production against PostgreSQL, driven by autocannon from this
 * process, next to two baselines in the same run: the bare one (bench/baseline.ts: Fastify + pg running the
 * same SQL, the physical limit of the stack) and the feature-parity one (bench/parity-baseline.ts: the same,
 * plus every feature the service keeps on its hot routes, each done the cheapest careful way on bare Fastify).
 * Reports requests/s, CPU ms per request, latency percentiles, errors, and per scenario `ratio`
 * (service/bare, no target) and `parityRatio` (service/parity, where the targets are), `p99Ratio` and
 * `p99ParityRatio` for the fixed-rate scenarios, and each server's peak RSS. Before measuring, one request of
 * each scenario goes to every server and the answers are compared (status, content type, body shape, headers,
 * cookies): a parity baseline that answers otherwise than the service stops the run.
 *
 * Configuration: BENCH_DATABASE_URL (a PostgreSQL server where a throw-away database may be created; without it
 * the embedded database is used, with a warning), BENCH_DURATION_SECONDS (3), BENCH_REPETITIONS (9),
 * BENCH_CONNECTIONS (50), BENCH_USERS (100000), BENCH_PROFILE=1 (CPU profiles of the service and the parity baseline), BENCH_ONLY
 * (comma-separated parts of scenario names: run only those, and check only their targets), BENCH_SERVICE_FLAGS
 * (extra node flags for the service, e.g. `--trace-gc`; its stdout then goes to bench-results/service.out),
 * BENCH_LOG_LEVEL (info), BENCH_WARMUP_SECONDS (10: each server serves the guarded GET that long before the
 * first scenario), BENCH_PIN (1 when `taskset` exists and there are 2 CPUs or more: each server under
 * test on CPU 0, this process — the load generator — and the PostgreSQL backends of the bench's database on
 * CPU 1; 0 to run unpinned), BENCH_CHECK_ONLY=1 (seed, start the three servers, compare their answers, exit:
 * non-zero on a difference of the parity baseline), BENCH_PREVIOUS (a checkout of an earlier commit, built and
 * with node_modules: its service is measured as a fourth server in the same turns, answers checked like the
 * service's, and each scenario gets `previous` and `cpuPreviousRatio`; the report then goes to
 * bench-results/previous.json and previous.md, so the committed latest.* stays the full run). Writes
 * bench-results/latest.json and latest.md (the table for the README).
 *
 * Scenarios: the guarded lookup, the get-or-create, DELETE, the JWKS and the discovery document, /healthz,
 * GVP sign-in of a known device, session refresh (each connection follows its own rotation chain), the
 * session's GET /user, and the lookup open-loop at 1,000 and 2,000 req/s.
 *
 * Scale mode, BENCH_SCALE=100000,1000000,10000000 (needs BENCH_DATABASE_URL): the users table grows to each
 * size in turn (generate_series, in batches), and at each size the service alone is measured on the lookup
 * and the get-or-create (closed loop) and the lookup at SCALE_RATE (open loop), with the table's and
 * indexes' sizes and the time taken to grow; bench-results/scale.json and scale.svg (copied to
 * docs/bench-scale.svg). Pinned as above.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Client } from 'pg';
import { generateApiKey, hashApiKey } from 'src/api-keys/api-key-format';
import { newRefreshToken } from 'src/sessions/refresh-token';
import { PersonalDataCipher, SealedColumn } from 'src/users/personal-data';
import { cpuMs, median, pin } from './process-stats';
import { pacedLoad, type PacedLoadOptions, type LoadResult } from './paced-load';
import { answer, differences, type ProbeRequest } from './response-check';
import { type IoReport, scaleSvg, type ScalePoint, type SizeReport } from './scale-chart';
import { CLI_ENTRY, SERVICE_ENTRY } from 'src/build-paths';

// Short turns, many of them: a slow spell of the machine then falls on every server of a turn, and the median
// has nine values to stand on. 3 × 8 s turns let one JWKS ratio swing by ±0.2 from one run to the next.
const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 3);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 9);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const FIXED_RATES = [1_000, 2_000];
const DELETES_PER_RUN = 5_000;
/** Refresh chains: each connection of a run starts one from its own seeded session (and again after a failure). */
const REFRESH_SESSIONS = 5_000;
/** Sessions whose access tokens the GET /auth/api/v1/user load presents. */
const USER_SESSIONS = 500;
/** Known devices (linked to seeded users) whose device tokens the GVP load presents. */
const DEVICES = 2_000;
/** Distinct sealed phone numbers cycled over the identifiable users (sealing millions would take hours). */
const SEALED_PHONES = 1_000;
const SCALE = process.env.BENCH_SCALE?.split(',').filter(Boolean).map(Number);
const SCALE_BATCH = 1_000_000;
/** The open-loop rate of the scale run's lookup: well below saturation, so its p99 shows the table, not a queue. */
const SCALE_RATE = 200;
const PUBLIC_BASE_URL = 'https://aura-auth.bench.example';
const GVP_ISSUER = 'https://gvp.bench.example/auth';
const GVP_AUDIENCE = 'aura-authentication-api';
const CSRF = randomBytes(32).toString('base64url');
const CHANNELS = ['web', 'app', 'tv'];
const RESULTS_DIR = 'bench-results';
const ONLY = process.env.BENCH_ONLY?.split(',').filter(Boolean);
const CHECK_ONLY = process.env.BENCH_CHECK_ONLY === '1';
/** Each server's warm-up on the guarded GET before the first scenario. */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);

type Target = 'service' | 'baseline' | 'parity' | 'previous';
/** The servers whose answers are compared with the service's. */
type Compared = Exclude<Target, 'service'>;
/** BENCH_PREVIOUS: an earlier build of the service, measured beside this one (an A/B in one run). */
const PREVIOUS = process.env.BENCH_PREVIOUS;
const TARGETS: Target[] = ['service', 'baseline', 'parity', ...(PREVIOUS ? (['previous'] as const) : [])];
const REPORT_NAME = PREVIOUS ? 'previous' : 'latest';
const COMPARED = TARGETS.filter((t): t is Compared => t !== 'service');
/** One empty value per target. */
const perTarget = <T>(empty: () => T) => Object.fromEntries(TARGETS.map((t) => [t, empty()])) as Record<Target, T>;

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
  /** The bare baseline. */
  baseline: Measurement;
  /** The feature-parity baseline. */
  parity: Measurement;
  /** Requests/s, service over bare baseline: reported, no target. */
  ratio: number;
  /** Requests/s, service over feature-parity baseline: the targets. */
  parityRatio: number;
  /** CPU per request, parity baseline's over the service's (≥ 1 when the service is as cheap). */
  cpuParityRatio: number;
  /**
   * The same, within each repetition (the two servers measured back to back): how far the ratio moves inside
   * one run, which says how much of a miss or a pass is the machine.
   */
  cpuParityRatioByRepetition: number[];
  p99Ratio: number;
  p99ParityRatio: number;
  /** BENCH_PREVIOUS: the earlier build, and the service's CPU per request over its (≤ 1.05: within 5 %). */
  previous?: Measurement;
  cpuPreviousRatio?: number;
}

interface Scenario {
  name: string;
  /** Builds the autocannon options for a run against a target. */
  options(target: Target): autocannon.Options;
  /** Set for a fixed-rate scenario: the open-loop load it runs instead of autocannon. */
  paced?(target: Target): PacedLoadOptions;
  /** Run once before the scenario (what its requests present must be fresh: access tokens). */
  prepare?(): Promise<void>;
}

/** Scenario names, by which results and targets are looked up. */
const S = {
  get: 'GET /users/{auraId}',
  getOrCreate: 'GET /users/aura-id (90% existing)',
  delete: 'DELETE /users/{auraId}',
  jwks: 'GET /openid/jwk',
  discovery: 'GET /openid/issuer/.well-known/openid-configuration',
  healthz: 'GET /healthz',
  gvp: 'GET /gvp/aura-id (known device)',
  refresh: 'POST /auth/api/v1/sessions/refresh',
  sessionUser: 'GET /auth/api/v1/user',
  fixed: (rate: number) => `GET /users/{auraId} at ${rate} req/s`,
} as const;

// --- database ---------------------------------------------------------------------------------------

interface BenchDatabase {
  serviceEnv: Record<string, string>;
  baselineEnv: Record<string, string>;
  parityEnv: Record<string, string>;
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
  // Time spent reading blocks, for the scale mode's I/O report (sessions opened from now on). Superusers
  // only: without it the report gives the counts and a read time of 0.
  await admin.query(`ALTER DATABASE ${name} SET track_io_timing = on`).catch(() => undefined);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const env = { DATABASE_URL: url.toString() };
  node([CLI_ENTRY, 'migrations', 'run'], env);
  const client = new Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  return {
    serviceEnv: env,
    baselineEnv: env,
    parityEnv: env,
    query: async (sql, params) => (await client.query<Record<string, unknown>>(sql, params)).rows,
    seeded: () => Promise.resolve(),
    close: async () => {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Embedded fallback: the service and each baseline get their own copy of the seeded PGlite folder. */
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
    parityEnv: { BASELINE_PGLITE_DIR: join(root, 'parity', 'pglite') },
    query: async (sql, params) => (await (await open()).query<Record<string, unknown>>(sql, params)).rows,
    seeded: async () => {
      await db?.close();
      db = undefined;
      cpSync(join(serviceDir, 'pglite'), join(root, 'baseline', 'pglite'), { recursive: true });
      cpSync(join(serviceDir, 'pglite'), join(root, 'parity', 'pglite'), { recursive: true });
    },
    close: async () => {
      await db?.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Users numbered from + 1 to to (half Kernel-authenticated across channels, half WhatsApp identifiable), in
 * one statement per kind and batch. Personal data sealed as the service seals it: one sealed context for all,
 * and SEALED_PHONES sealed numbers cycled (opening costs the same whatever the value).
 */
async function seedUsers(db: BenchDatabase, from: number, to: number, pii: PersonalDataCipher): Promise<void> {
  const context = pii.seal(SealedColumn.AuthenticationContext, '{"loa":2,"scopes":["profile"],"purposes":["chat"]}');
  const phones = Array.from({ length: SEALED_PHONES }, (_, i) => `+3460${String(i + 1).padStart(7, '0')}`);
  const sealed = phones.map((phone) => pii.seal(SealedColumn.PhoneNumber, phone));
  const hashed = phones.map((phone) => pii.phoneIndex(phone));
  for (let low = Math.floor(from / 2); low < Math.floor(to / 2); low += SCALE_BATCH / 2) {
    const high = Math.min(Math.floor(to / 2), low + SCALE_BATCH / 2);
    await db.query(
      `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, subscription_type, authorization_id,
         authentication_context, expires_at)
       SELECT 'bench-k-' || n, md5('global-' || n)::uuid::text, 'bench-user-' || n, (ARRAY['web','app','tv'])[1 + n % 3],
         'authenticated', (ARRAY['postpaid','prepaid','hybrid','control'])[1 + n % 4], 'bench-authz-' || n,
         $3, now() + interval '30 days'
       FROM generate_series($1::int + 1, $2::int) n`,
      [low, high, context],
    );
    await db.query(
      `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, phone_number, phone_number_index,
         expires_at)
       SELECT 'bench-wa-' || n, md5('wa-global-' || n)::uuid::text, md5('wa-user-' || n)::uuid::text, 'whatsapp',
         'identifiable', sealed[1 + n % $3], hashed[1 + n % $3], now() + interval '30 days'
       FROM generate_series($1::int + 1, $2::int) n, (SELECT $4::text[] AS sealed, $5::text[] AS hashed) v`,
      [low, high, SEALED_PHONES, sealed, hashed],
    );
  }
}

/** Users to delete, numbered 1..count. */
async function seedDeletable(db: BenchDatabase, count: number): Promise<void> {
  await db.query(
    `INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, expires_at)
     SELECT 'bench-del-' || n, md5('del-' || n)::uuid::text, 'bench-del-user-' || n, 'web', 'identifiable',
       now() + interval '30 days'
     FROM generate_series(1, $1::int) n`,
    [count],
  );
}

/** Sessions of Kernel users, as the login callback opens them: returns their refresh tokens (only hashes are stored). */
async function seedSessions(db: BenchDatabase, count: number, users: number): Promise<string[]> {
  const tokens = Array.from({ length: count }, () => newRefreshToken(randomUUID()));
  await db.query(
    `INSERT INTO sessions (id, aura_id, audience, refresh_hash, expires_at, user_agent)
     SELECT id, 'bench-k-' || (1 + (ordinality - 1) % $3::int), 'app', hash, now() + interval '30 days', 'bench/1.0'
     FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(id, hash, ordinality)`,
    [tokens.map((token) => token.sessionId), tokens.map((token) => token.hash), Math.floor(users / 2)],
  );
  return tokens.map((token) => token.value);
}

/** Known devices, each linked to a Kernel user: returns one device token (signed as GVP signs them) per device. */
async function seedDevices(
  db: BenchDatabase,
  auditSecret: string,
  gvp: Awaited<ReturnType<typeof gvpSigningKey>>,
): Promise<string[]> {
  const subscribers = Array.from({ length: DEVICES }, (_, i) => `bench-subscriber-${i + 1}`);
  const hashes = subscribers.map((subscriber) =>
    createHmac('sha256', auditSecret).update(`gvp:${subscriber}`).digest('hex'),
  );
  await db.query(
    `INSERT INTO gvp_device_links (channel, device_id, aura_id, subscriber_hash)
     SELECT 'tv', 'bench-device-' || n, 'bench-k-' || n, hashes[n] FROM generate_series(1, $1::int) n, (SELECT $2::text[] AS hashes) v`,
    [DEVICES, hashes],
  );
  return Promise.all(
    subscribers.map((sub, i) =>
      new SignJWT({ sub, deviceId: `bench-device-${i + 1}` })
        .setProtectedHeader({ alg: 'ES256', kid: gvp.kid, typ: 'JWT' })
        .setIssuer(GVP_ISSUER)
        .setAudience(GVP_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('12h')
        .sign(gvp.privateKey),
    ),
  );
}

/** GVP's signing key, made for the run: the service trusts its public half (GVP_JWKS). */
async function gvpSigningKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = 'bench-gvp';
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] });
  return { kid, privateKey, jwks };
}

type Keys = Record<'internal' | 'kernel' | 'public', string>;

/** Two keys per tier; returns one of each tier for the load. */
async function createKeys(db: BenchDatabase): Promise<Keys> {
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
  return { internal: created.internal, kernel: created.kernel, public: created.public };
}

// --- processes -------------------------------------------------------------------------------------------

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU pinning: the server under test alone on CPU 0 (the same for every server measured), the load generator
 * (this process, all its threads) and the bench database's PostgreSQL backends on CPU 1. The system
 * PostgreSQL's postmaster and background processes (checkpointer, WAL writer…) are left where they are:
 * re-pinning a shared server is not the bench's to do. With the embedded database, PGlite runs inside each
 * server's own process, on its CPU.
 */
const PIN = (() => {
  const enabled = process.env.BENCH_PIN !== '0' && cpus().length >= 2 && hasTaskset();
  return { enabled, serverCpu: 0, loadCpu: 1 };
})();

/** The same without blocking the load generator, for pinning during a measured run. */
function pinLater(pid: number, cpu: number): Promise<boolean> {
  return new Promise((resolve) =>
    execFile('taskset', ['--all-tasks', '--pid', '--cpu-list', String(cpu), String(pid)], (error) =>
      resolve(error === null),
    ),
  );
}

/** What the run's pinning was, for the report. */
const pinning = {
  enabled: PIN.enabled,
  serverUnderTestCpu: PIN.enabled ? PIN.serverCpu : null,
  loadGeneratorCpu: PIN.enabled ? PIN.loadCpu : null,
  /** PostgreSQL backends of the bench database pinned to the load generator's CPU, and those the kernel refused. */
  databaseBackendsPinned: 0,
  databaseBackendsRefused: 0,
  note: PIN.enabled
    ? "server under test on CPU 0; load generator and the bench database's PostgreSQL backends on CPU 1; " +
      "the system PostgreSQL's postmaster and background processes not re-pinned"
    : 'not pinned (BENCH_PIN=0, a single CPU, or no taskset)',
};

/** The backends serving the bench database (the servers' pools and this process's client) onto CPU 1. */
async function pinDatabaseBackends(db: BenchDatabase, postgres: boolean): Promise<void> {
  if (!PIN.enabled || !postgres) {
    return;
  }
  const rows = await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  for (const pid of rows.map((row) => Number(row.pid)).filter((pid) => !pinnedBackends.has(pid))) {
    pinnedBackends.add(pid);
    if (await pinLater(pid, PIN.loadCpu)) {
      pinning.databaseBackendsPinned++;
    } else {
      pinning.databaseBackendsRefused++;
    }
  }
}

const pinnedBackends = new Set<number>();

/**
 * Run after each scenario's warm-up, and early in each measured run: the pools close connections idle for 10 s
 * (pg's default, the service's too), so a server's pool reopens some while another server is measured, and
 * their new backends start unpinned (set by main).
 */
let afterWarmUp: () => Promise<void> = () => Promise.resolve();

interface Server {
  name: Target;
  url: string;
  process: ChildProcess;
}

async function start(name: Target, args: string[], env: Record<string, string>, cwd?: string): Promise<Server> {
  // Below the ephemeral range (32768-60999 on Linux): a port there may be the local end of an open connection.
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  // taskset execs node in its own process: the pid stays the server's (CPU time, peak RSS).
  const [command, commandArgs] = PIN.enabled
    ? ['taskset', ['--cpu-list', String(PIN.serverCpu), process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, commandArgs, {
    cwd,
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

async function measureServer(server: Server, scenario: Scenario, target: Target): Promise<Measurement> {
  const pinTimers = [250, 1_000].map((ms) => setTimeout(() => void afterWarmUp(), ms));
  const before = cpuMs(server.process.pid!);
  const { requests, ...measurement } = scenario.paced
    ? await pacedLoad(scenario.paced(target))
    : await measure(scenario.options(target));
  const cpuMsPerRequest = Math.round(((cpuMs(server.process.pid!) - before) / Math.max(1, requests)) * 1000) / 1000;
  pinTimers.forEach(clearTimeout);
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

interface Credentials {
  keys: Keys;
  /** Refresh tokens of seeded sessions, each the start of one chain. */
  refreshTokens: string[];
  /** Refresh tokens of the sessions whose access tokens GET /auth/api/v1/user presents. */
  userSessions: string[];
  deviceTokens: string[];
}

/** The authara_* cookie values a response sets. */
function setCookies(headers: Record<string, string | string[]>): Record<string, string> {
  const values = headers['set-cookie'] ?? headers['Set-Cookie'] ?? [];
  return Object.fromEntries(
    (Array.isArray(values) ? values : [values]).map((header) => {
      const [pair] = header.split(';');
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

const REFRESH_PATH = '/auth/api/v1/sessions/refresh?audience=app';
const refreshHeaders = (token: string) => ({
  cookie: `authara_refresh=${token}; authara_csrf=${CSRF}`,
  'x-csrf-token': CSRF,
});

function scenarios(
  servers: Record<Target, Server>,
  credentials: Credentials,
  users = USERS,
  rates = FIXED_RATES,
): Scenario[] {
  const { keys } = credentials;
  const half = Math.floor(users / 2);
  const internal = { 'x-api-key': keys.internal };
  const kernel = { 'x-api-key': keys.kernel };
  const base = (target: Target) => ({ url: servers[target].url, connections: CONNECTIONS, duration: DURATION });
  const existingUserPath = () => `/users/bench-k-${randomInt(half)}`;
  const guardedGet = (target: Target): autocannon.Options => ({
    ...base(target),
    headers: internal,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: existingUserPath() }) }],
  });
  const staticGet = (path: string) => (target: Target) => ({
    ...base(target),
    requests: [{ method: 'GET' as const, path }],
  });
  let nextDelete = 0;
  let nextChain = 0;
  const chains = perTarget<string[]>(() => []);
  let accessTokens: string[] = [];
  return [
    { name: S.get, options: guardedGet },
    {
      name: S.getOrCreate,
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
      name: S.delete,
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
    { name: S.jwks, options: staticGet('/openid/jwk') },
    { name: S.discovery, options: staticGet('/openid/issuer/.well-known/openid-configuration') },
    { name: S.healthz, options: staticGet('/healthz') },
    {
      name: S.gvp,
      options: (target) => ({
        ...base(target),
        headers: { 'x-api-key': keys.public },
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => {
              const token = credentials.deviceTokens[randomInt(credentials.deviceTokens.length) - 1];
              return { ...request, path: `/gvp/aura-id?token=${token}` };
            },
          },
        ],
      }),
    },
    {
      // Rotation chains: every request presents the refresh token a previous response set (autocannon resets
      // a connection's context before each request, so the chains wait in a queue, one request of each in
      // flight at a time); a new chain starts from a seeded session no one else used, and a failed one ends.
      name: S.refresh,
      options: (target) => ({
        ...base(target),
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              const token = chains[target].pop() ?? credentials.refreshTokens[nextChain++];
              if (token === undefined) {
                throw new Error('Out of seeded sessions for the refresh chains (REFRESH_SESSIONS)');
              }
              return { ...request, path: REFRESH_PATH, headers: refreshHeaders(token) };
            },
            onResponse: (status, _body, _context, headers) => {
              const next = setCookies(headers as Record<string, string | string[]>).authara_refresh;
              if (status === 200 && next !== undefined) {
                chains[target].push(next);
              }
            },
          },
        ],
      }),
    },
    {
      name: S.sessionUser,
      // Access tokens the service signs, fresh for this scenario (they live SESSION_ACCESS_TTL_SECONDS).
      prepare: async () => {
        accessTokens = [];
        for (const [i, token] of credentials.userSessions.entries()) {
          const response = await fetch(`${servers.service.url}${REFRESH_PATH}`, {
            method: 'POST',
            headers: refreshHeaders(token),
          });
          const cookies = setCookies({ 'set-cookie': response.headers.getSetCookie() });
          if (response.status !== 200) {
            throw new Error(`refresh for the session user load answered ${response.status}`);
          }
          credentials.userSessions[i] = cookies.authara_refresh;
          accessTokens.push(cookies.authara_access);
        }
      },
      options: (target) => ({
        ...base(target),
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({
              ...request,
              path: '/auth/api/v1/user',
              headers: { cookie: `authara_access=${accessTokens[randomInt(accessTokens.length) - 1]}` },
            }),
          },
        ],
      }),
    },
    ...rates.map((rate): Scenario => ({
      name: S.fixed(rate),
      // Warm-up only; the measured runs are paced.
      options: guardedGet,
      paced: (target) => ({
        url: servers[target].url,
        rate,
        durationSeconds: DURATION,
        headers: internal,
        path: existingUserPath,
      }),
    })),
  ];
}

/**
 * One request of each scenario to every server, each baseline's answer compared with the service's (status,
 * content type, body shape, headers, cookies: bench/response-check.ts). Requests that change state are made
 * per server (a new user, a refresh token of its own); the session's access token is the service's, valid on all.
 */
async function checkAnswers(
  servers: Record<Target, Server>,
  credentials: Credentials,
): Promise<Record<Compared, Record<string, string[]>>> {
  const { keys } = credentials;
  const takeRefreshToken = () => {
    const token = credentials.refreshTokens.pop();
    if (token === undefined) {
      throw new Error('Out of seeded sessions for the response check');
    }
    return token;
  };
  const refreshed = await fetch(`${servers.service.url}${REFRESH_PATH}`, {
    method: 'POST',
    headers: refreshHeaders(takeRefreshToken()),
  });
  const access = setCookies({ 'set-cookie': refreshed.headers.getSetCookie() }).authara_access;
  const probes: { name: string; request: (target: Target) => ProbeRequest }[] = [
    {
      name: S.get,
      request: () => ({ method: 'GET', path: '/users/bench-k-1', headers: { 'x-api-key': keys.internal } }),
    },
    {
      name: `${S.getOrCreate}, existing`,
      request: () => ({
        method: 'GET',
        path: `/users/aura-id?channel=${CHANNELS[1]}&userId=bench-user-1&authorizationId=bench-authz-1`,
        headers: { 'x-api-key': keys.kernel },
      }),
    },
    {
      name: `${S.getOrCreate}, new`,
      request: (target) => {
        const n = `probe-${target}-${randomBytes(4).toString('hex')}`;
        return {
          method: 'GET',
          path: `/users/aura-id?channel=web&userId=bench-user-${n}&authorizationId=bench-authz-${n}`,
          headers: { 'x-api-key': keys.kernel },
        };
      },
    },
    {
      name: S.delete,
      request: (target) => ({
        method: 'DELETE',
        path: `/users/bench-probe-${target}`,
        headers: { 'x-api-key': keys.internal },
      }),
    },
    { name: S.jwks, request: () => ({ method: 'GET', path: '/openid/jwk' }) },
    { name: S.discovery, request: () => ({ method: 'GET', path: '/openid/issuer/.well-known/openid-configuration' }) },
    { name: S.healthz, request: () => ({ method: 'GET', path: '/healthz' }) },
    {
      name: S.gvp,
      request: () => ({
        method: 'GET',
        path: `/gvp/aura-id?token=${credentials.deviceTokens[0]}`,
        headers: { 'x-api-key': keys.public },
      }),
    },
    {
      name: S.refresh,
      request: () => ({ method: 'POST', path: REFRESH_PATH, headers: refreshHeaders(takeRefreshToken()) }),
    },
    {
      name: `${S.refresh}, CSRF refused`,
      request: () => ({
        method: 'POST',
        path: REFRESH_PATH,
        headers: { cookie: `authara_csrf=${CSRF}`, 'x-csrf-token': 'not-the-cookie' },
      }),
    },
    {
      name: S.sessionUser,
      request: () => ({ method: 'GET', path: '/auth/api/v1/user', headers: { cookie: `authara_access=${access}` } }),
    },
    { name: `${S.get}, no key`, request: () => ({ method: 'GET', path: '/users/bench-k-1' }) },
  ];
  const found: Record<Compared, Record<string, string[]>> = { parity: {}, baseline: {}, previous: {} };
  for (const probe of probes) {
    const reference = await answer(servers.service.url, probe.request('service'));
    for (const target of COMPARED) {
      const different = differences(reference, await answer(servers[target].url, probe.request(target)));
      if (different.length > 0) {
        found[target][probe.name] = different;
      }
    }
  }
  return found;
}

async function runScenario(
  scenario: Scenario,
  servers: Record<Target, Server>,
  targets: Target[] = TARGETS,
): Promise<ScenarioResult> {
  await scenario.prepare?.();
  const runs = perTarget<Measurement[]>(() => []);
  for (const target of targets) {
    // Warm-up: JIT, connection pools, prepared statements, caches.
    await measure({ ...scenario.options(target), duration: 2, amount: undefined });
  }
  await afterWarmUp();
  // The targets take turns within each repetition, so a slow spell of the machine falls on all of them.
  for (let run = 0; run < REPETITIONS; run++) {
    for (const target of targets) {
      runs[target].push(await measureServer(servers[target], scenario, target));
    }
  }
  const service = medianOf(runs.service);
  const baseline = targets.includes('baseline') ? medianOf(runs.baseline) : service;
  const parity = targets.includes('parity') ? medianOf(runs.parity) : service;
  const round = (value: number) => Math.round(value * 100) / 100;
  const previous = targets.includes('previous') ? medianOf(runs.previous) : undefined;
  return {
    name: scenario.name,
    service,
    baseline,
    parity,
    ...(previous && {
      previous,
      cpuPreviousRatio: round(service.cpuMsPerRequest / Math.max(previous.cpuMsPerRequest, 0.001)),
    }),
    ratio: round(service.requestsPerSecond / baseline.requestsPerSecond),
    parityRatio: round(service.requestsPerSecond / parity.requestsPerSecond),
    cpuParityRatio: round(parity.cpuMsPerRequest / Math.max(service.cpuMsPerRequest, 0.001)),
    cpuParityRatioByRepetition: runs.service.map((run, i) =>
      round((runs.parity[i] ?? run).cpuMsPerRequest / Math.max(run.cpuMsPerRequest, 0.001)),
    ),
    p99Ratio: round(service.p99 / Math.max(baseline.p99, 0.1)),
    p99ParityRatio: round(service.p99 / Math.max(parity.p99, 0.1)),
  };
}

function table(results: ScenarioResult[]): string {
  const header =
    '| scenario | service req/s | parity req/s | bare req/s | parity ratio | bare ratio | CPU ms/req (s / p / b) | ' +
    'p50 ms (s / p / b) | p99 ms (s / p / b) | p99 ratio (p / b) | p99.9 ms (s / p / b) | errors (s / p / b) | non-2xx (s / p / b) |';
  const all = (r: ScenarioResult, key: keyof Measurement) =>
    `${r.service[key]} / ${r.parity[key]} / ${r.baseline[key]}`;
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.service.requestsPerSecond} | ${r.parity.requestsPerSecond} | ${r.baseline.requestsPerSecond} | ` +
      `${r.parityRatio} | ${r.ratio} | ${all(r, 'cpuMsPerRequest')} | ${all(r, 'p50')} | ${all(r, 'p99')} | ` +
      `${r.p99ParityRatio} / ${r.p99Ratio} | ${all(r, 'p999')} | ${all(r, 'errors')} | ${all(r, 'non2xx')} |`,
  );
  return [header, `|${'---|'.repeat(13)}`, ...rows].join('\n');
}

/** The environment of the service as shipped, plus what the bench needs: keys, GVP sign-in, no rate limits in the way. */
function serviceEnv(db: BenchDatabase, secrets: RunSecrets, production: boolean): Record<string, string> {
  return {
    ...db.serviceEnv,
    NODE_ENV: production ? 'production' : 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    APIKEY_ENVIRONMENT: 'bench',
    RATE_LIMIT_LIMIT: '10000000',
    RATE_LIMIT_CLIENT_LIMIT: '10000000',
    AUDIT_HMAC_SECRET: secrets.audit,
    CALLBACK_CIPHER_KEYS: `bench:${randomBytes(32).toString('base64url')}`,
    ...secrets.pii,
    OPENID_SIGNING_KEYS: secrets.signingKeys,
    PUBLIC_BASE_URL,
    GVP_JWKS: secrets.gvp.jwks,
    GVP_ISSUER,
    GVP_AUDIENCE,
    // Required with GVP sign-in; never called, since every device of the load is known.
    KERNEL_TOKEN_URL: 'http://127.0.0.1:9/token',
    KERNEL_USERPROFILE_URL: 'http://127.0.0.1:9/userinfo',
    KERNEL_CLIENT_ID: 'bench',
    KERNEL_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  };
}

interface RunSecrets {
  audit: string;
  pii: { PII_KEYS: string; PII_INDEX_KEY: string };
  signingKeys: string;
  gvp: Awaited<ReturnType<typeof gvpSigningKey>>;
}

/** BENCH_PROFILE=1: a V8 CPU profile of the service and of the parity baseline (bench-results/*.cpuprofile). */
const profileFlags = () => (process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}`] : []);

async function startServers(
  db: BenchDatabase,
  secrets: RunSecrets,
  keys: Keys,
  production: boolean,
  serviceOnly = false,
): Promise<Partial<Record<Target, Server>>> {
  const service = await start(
    'service',
    [
      ...startFlags(),
      ...profileFlags(),
      ...(process.env.BENCH_SERVICE_FLAGS?.split(' ').filter(Boolean) ?? []),
      SERVICE_ENTRY,
    ],
    serviceEnv(db, secrets, production),
  );
  if (serviceOnly) {
    return { service };
  }
  const jwks = await (await fetch(`${service.url}/openid/jwk`)).text();
  const discovery = await (await fetch(`${service.url}/openid/issuer/.well-known/openid-configuration`)).text();
  const shared = {
    AUDIT_HMAC_SECRET: secrets.audit,
    BASELINE_JWKS: jwks,
    BASELINE_DISCOVERY: discovery,
    BASELINE_ISSUER: (JSON.parse(discovery) as { issuer: string }).issuer,
    BASELINE_SIGNING_KEYS: secrets.signingKeys,
    BASELINE_GVP_JWKS: secrets.gvp.jwks,
    BASELINE_GVP_ISSUER: GVP_ISSUER,
    BASELINE_GVP_AUDIENCE: GVP_AUDIENCE,
  };
  const baseline = await start('baseline', ['dist-bench/bench/baseline.js'], {
    ...db.baselineEnv,
    ...shared,
    BASELINE_INTERNAL_KEY: keys.internal,
    BASELINE_KERNEL_KEY: keys.kernel,
    BASELINE_PUBLIC_KEY: keys.public,
  });
  // The parity baseline finds its keys in the database as the service does, opens what the service sealed, logs
  // at the same level, and runs with the service's V8 flags.
  const env = serviceEnv(db, secrets, production);
  const parity = await start('parity', [...startFlags(), ...profileFlags(), 'dist-bench/bench/parity-baseline.js'], {
    ...db.parityEnv,
    ...shared,
    ...secrets.pii,
    APIKEY_ENVIRONMENT: env.APIKEY_ENVIRONMENT,
    LOG_LEVEL: env.LOG_LEVEL,
    RATE_LIMIT_LIMIT: env.RATE_LIMIT_LIMIT,
    RATE_LIMIT_CLIENT_LIMIT: env.RATE_LIMIT_CLIENT_LIMIT,
  });
  if (PREVIOUS === undefined) {
    return { service, baseline, parity };
  }
  // The earlier build runs from its own checkout (its dist/ and node_modules), as shipped, with the same settings.
  const previous = await start(
    'previous',
    [...startFlags(), SERVICE_ENTRY],
    serviceEnv(db, secrets, production),
    PREVIOUS,
  );
  return { service, baseline, parity, previous };
}

function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

async function main(): Promise<void> {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (SCALE !== undefined && serverUrl === undefined) {
    throw new Error('BENCH_SCALE needs BENCH_DATABASE_URL (a PostgreSQL server)');
  }
  // Per server: a warm-up of about DELETES_PER_RUN and REPETITIONS runs of it, with room to spare: a DELETE of a
  // user that is not there costs less, and would flatter the server measured last.
  const deletable = SCALE === undefined ? DELETES_PER_RUN * (REPETITIONS + 2) * TARGETS.length : 0;
  const firstSize = SCALE?.[0] ?? USERS;
  if (PIN.enabled && !pin(process.pid, PIN.loadCpu)) {
    throw new Error('Could not pin the load generator (taskset); run with BENCH_PIN=0 to measure unpinned');
  }
  const db = serverUrl ? await postgresDatabase(serverUrl) : await embeddedDatabase();
  let servers: Partial<Record<Target, Server>> = {};
  // Interrupted (a long scale run): no server left running, no database left behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const server of Object.values(servers)) {
        server.process.kill('SIGKILL');
      }
      void db.close().finally(() => process.exit(130));
    });
  }
  try {
    const secrets: RunSecrets = {
      audit: randomBytes(32).toString('hex'),
      pii: {
        PII_KEYS: `bench:${randomBytes(32).toString('base64url')}`,
        PII_INDEX_KEY: randomBytes(32).toString('base64url'),
      },
      signingKeys: `[${node([CLI_ENTRY, 'openid', 'generate-key', '--alg', 'ES256', '--state', 'active'], {})}]`,
      gvp: await gvpSigningKey(),
    };
    const pii = new PersonalDataCipher(secrets.pii);
    console.log(`Seeding ${firstSize} users (+${deletable} to delete), sessions, devices and API keys…`);
    const seeding = performance.now();
    await seedUsers(db, 0, firstSize, pii);
    await seedDeletable(db, deletable);
    const credentials: Credentials = {
      keys: await createKeys(db),
      refreshTokens: await seedSessions(db, REFRESH_SESSIONS, firstSize),
      userSessions: await seedSessions(db, USER_SESSIONS, firstSize),
      deviceTokens: await seedDevices(db, secrets.audit, secrets.gvp),
    };
    await db.query('ANALYZE');
    console.log(`Seeded in ${Math.round((performance.now() - seeding) / 1000)} s.`);
    await db.seeded();

    if (SCALE !== undefined) {
      await db.query('CHECKPOINT');
    }
    // The scale run measures the service alone: no baseline is started.
    servers = await startServers(db, secrets, credentials.keys, serverUrl !== undefined, SCALE !== undefined);
    // The servers' PostgreSQL backends go to the load generator's CPU once their pools have connected (after
    // each scenario's warm-up).
    afterWarmUp = () => pinDatabaseBackends(db, serverUrl !== undefined);
    if (SCALE !== undefined) {
      await scaleRun(db, servers as Record<Target, Server>, credentials, pii, SCALE);
      return;
    }

    const answers = await checkAnswers(servers as Record<Target, Server>, credentials);
    const labels: Record<Compared, string> = {
      parity: 'The feature-parity baseline',
      baseline: 'The bare baseline',
      previous: 'The previous build',
    };
    for (const target of COMPARED) {
      const probes = Object.entries(answers[target]);
      console.log(
        probes.length === 0
          ? `${labels[target]} answers every scenario's request like the service.`
          : `${labels[target]} answers otherwise than the service:\n` +
              probes.map(([name, found]) => `  ${name}:\n    ${found.join('\n    ')}`).join('\n'),
      );
    }
    const parityDiffers = Object.keys(answers.parity).length > 0;
    if (CHECK_ONLY || parityDiffers) {
      if (parityDiffers) {
        process.exitCode = 1;
        console.error('The feature-parity baseline must answer like the service: nothing measured.');
      }
      return;
    }
    await afterWarmUp();
    console.log(`Pinning: ${pinning.note}.`);

    const results: ScenarioResult[] = [];
    const all = scenarios(servers as Record<Target, Server>, credentials);
    const selected = all.filter((scenario) => ONLY === undefined || ONLY.some((part) => scenario.name.includes(part)));
    // Every server just started: JIT and pools warm up longer than a scenario's own warm-up (the service's
    // optimising compilation settles after some 30,000 requests), so each first serves the guarded GET a while.
    for (const target of TARGETS) {
      await measure({ ...all[0].options(target), duration: WARM_UP_SECONDS, amount: undefined });
    }
    for (const scenario of selected) {
      process.stdout.write(`  ${scenario.name}… `);
      const result = await runScenario(scenario, servers as Record<Target, Server>);
      results.push(result);
      console.log(
        `service ${result.service.requestsPerSecond}, parity ${result.parity.requestsPerSecond}, ` +
          `bare ${result.baseline.requestsPerSecond} req/s (parity ratio ${result.parityRatio}, bare ratio ${result.ratio}); ` +
          `CPU ms/req ${result.service.cpuMsPerRequest} / ${result.parity.cpuMsPerRequest} / ${result.baseline.cpuMsPerRequest}` +
          ` (CPU parity ratio by repetition ${result.cpuParityRatioByRepetition.join(', ')})` +
          (result.previous
            ? `; previous build ${result.previous.requestsPerSecond} req/s, CPU ms/req ${result.previous.cpuMsPerRequest} (service/previous ${result.cpuPreviousRatio})`
            : ''),
      );
    }
    const peakRss = perTarget(() => NaN);
    for (const target of TARGETS) {
      peakRss[target] = peakRssMb(servers[target]!.process.pid!);
    }
    for (const server of Object.values(servers)) {
      await stop(server);
    }
    servers = {};
    const duplicates = await db.query(
      `SELECT count(*)::int AS count FROM (SELECT 1 FROM aura_users GROUP BY channel, user_id, authorization_id HAVING count(*) > 1) d`,
    );
    const report = {
      date: new Date().toISOString(),
      machine: machine(),
      database: serverUrl ? 'postgresql' : 'embedded (PGlite)',
      settings: { durationSeconds: DURATION, repetitions: REPETITIONS, connections: CONNECTIONS, users: USERS },
      pinning,
      peakRssMb: peakRss,
      duplicateUsersAfterGetOrCreate: Number(duplicates[0].count),
      /** Where each baseline answers otherwise than the service (the parity one must not). */
      responseCheck: answers,
      results,
      targets: targets(results, peakRss.service, Number(duplicates[0].count)),
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${REPORT_NAME}.json`), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(RESULTS_DIR, `${REPORT_NAME}.md`), markdown(report));
    console.log(`\n${table(results)}\n`);
    console.log(`Peak RSS: service ${peakRss.service} MB, parity ${peakRss.parity} MB, bare ${peakRss.baseline} MB.`);
    console.log(`Duplicate users after get-or-create: ${report.duplicateUsersAfterGetOrCreate}.`);
    console.log(`Written to ${RESULTS_DIR}/${REPORT_NAME}.json and ${REPORT_NAME}.md.`);
    console.log('Targets:');
    for (const { check, met } of report.targets) {
      console.log(`  ${met ? 'met   ' : 'MISSED'} ${check}`);
    }
  } finally {
    for (const server of Object.values(servers)) {
      await stop(server);
    }
    await db.close();
  }
}

/** The latest run as markdown, ready for the README: machine, settings, pinning, the table and the targets. */
function markdown(report: {
  date: string;
  machine: ReturnType<typeof machine>;
  database: string;
  settings: Record<string, number>;
  pinning: typeof pinning;
  peakRssMb: Record<Target, number>;
  responseCheck: Record<Compared, Record<string, string[]>>;
  results: ScenarioResult[];
  targets: { check: string; met: boolean }[];
}): string {
  const { machine: m, settings } = report;
  const bareDifferences = Object.keys(report.responseCheck.baseline);
  return [
    `Measured ${report.date} on ${m.cpus} × ${m.cpuModel ?? 'unknown CPU'}, ${m.memoryGb} GB, Node ${m.node}, ` +
      `${report.database}; ${settings.users} users, ${settings.connections} connections, ` +
      `median of ${settings.repetitions} runs of ${settings.durationSeconds} s (s = service, p = feature-parity ` +
      `baseline, b = bare baseline; parity ratio = service/parity, bare ratio = service/bare).`,
    '',
    `Pinning: ${report.pinning.note}` +
      (report.pinning.enabled
        ? ` (${report.pinning.databaseBackendsPinned} backends pinned, ${report.pinning.databaseBackendsRefused} refused).`
        : '.'),
    '',
    table(report.results),
    '',
    `Peak RSS: service ${report.peakRssMb.service} MB, parity baseline ${report.peakRssMb.parity} MB, ` +
      `bare baseline ${report.peakRssMb.baseline} MB.`,
    '',
    'Response check: the parity baseline answers every scenario like the service' +
      (bareDifferences.length === 0
        ? '; so does the bare one.'
        : `; the bare one differs on ${bareDifferences.length} of them, by design (no security, rate-limit, ` +
          'request-id or caching headers, personal data left sealed, probes without checks: latest.json lists each).'),
    '',
    ...previousTable(report.results),
    ...report.targets.map(({ check, met }) => `- ${met ? 'met' : '**missed**'}: ${check}`),
    '',
  ].join('\n');
}

/** The commit BENCH_PREVIOUS holds, as git names it. */
function previousCommit(): string {
  try {
    return execFileSync('git', ['-C', PREVIOUS!, 'log', '-1', '--format=%h (%cs)'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** BENCH_PREVIOUS: the service beside the earlier build, CPU per request first (the steadiest figure). */
function previousTable(results: ScenarioResult[]): string[] {
  const compared = results.filter((r) => r.previous !== undefined);
  if (compared.length === 0) {
    return [];
  }
  return [
    `Beside the previous build (${PREVIOUS}, commit ${previousCommit()}), in the same turns:`,
    '',
    '| scenario | CPU ms/req (service / previous) | service/previous CPU | req/s (service / previous) | p99 ms (service / previous) |',
    `|${'---|'.repeat(5)}`,
    ...compared.map(
      (r) =>
        `| ${r.name} | ${r.service.cpuMsPerRequest} / ${r.previous!.cpuMsPerRequest} | ${r.cpuPreviousRatio} | ` +
        `${r.service.requestsPerSecond} / ${r.previous!.requestsPerSecond} | ${r.service.p99} / ${r.previous!.p99} |`,
    ),
    '',
  ];
}

/**
 * The targets of the performance work, against the feature-parity baseline (the bare ratio is reported with no
 * target), each looked up by scenario name; a scenario not run (BENCH_ONLY) is left out.
 */
function targets(results: ScenarioResult[], peakRss: number, duplicates: number): { check: string; met: boolean }[] {
  const byName = new Map(results.map((result) => [result.name, result]));
  const checks: { check: string; met: boolean }[] = [];
  const ratio = (name: string, minimum: number) => {
    const result = byName.get(name);
    if (result !== undefined) {
      checks.push({
        check:
          `${name}: parity ratio ${result.parityRatio} ≥ ${minimum} ` +
          `(CPU ms/req ${result.service.cpuMsPerRequest} vs ${result.parity.cpuMsPerRequest})`,
        met: result.parityRatio >= minimum,
      });
    }
  };
  ratio(S.get, 0.85);
  ratio(S.getOrCreate, 0.8);
  const getOrCreate = byName.get(S.getOrCreate);
  if (getOrCreate !== undefined) {
    checks.push({
      check: `${S.getOrCreate}: errors ${getOrCreate.service.errors} = 0, duplicates ${duplicates} = 0`,
      met: getOrCreate.service.errors === 0 && duplicates === 0,
    });
  }
  // A fixed number of deletions, bound by the database's commits: both servers run at the same req/s, so the
  // ratio is taken on CPU per request (parity's over the service's).
  const del = byName.get(S.delete);
  if (del !== undefined) {
    checks.push({
      check:
        `${S.delete}: CPU ratio ${del.cpuParityRatio} ≥ 0.8 ` +
        `(CPU ms/req ${del.service.cpuMsPerRequest} vs ${del.parity.cpuMsPerRequest})`,
      met: del.cpuParityRatio >= 0.8,
    });
  }
  ratio(S.jwks, 0.8);
  ratio(S.discovery, 0.8);
  ratio(S.gvp, 0.8);
  ratio(S.refresh, 0.8);
  ratio(S.sessionUser, 0.8);
  const fixed = byName.get(S.fixed(1_000));
  if (fixed !== undefined) {
    checks.push({
      check:
        `${fixed.name}: p99 ${fixed.service.p99} ms, ${fixed.p99ParityRatio}× the parity baseline's ` +
        `${fixed.parity.p99} ms ≤ 1.2 (bare ${fixed.baseline.p99} ms, ${fixed.p99Ratio}×)`,
      met: fixed.p99ParityRatio <= 1.2,
    });
  }
  checks.push({ check: `peak RSS ${peakRss} MB ≤ 200`, met: peakRss <= 200 });
  // BENCH_PREVIOUS: the hot reads cost no more than 5 % over the earlier build's CPU per request.
  for (const name of [S.get, S.getOrCreate]) {
    const result = byName.get(name);
    if (result?.previous !== undefined) {
      checks.push({
        check:
          `${name}: CPU ms/req ${result.service.cpuMsPerRequest} vs the previous build's ` +
          `${result.previous.cpuMsPerRequest}, ${result.cpuPreviousRatio}× ≤ 1.05`,
        met: result.cpuPreviousRatio! <= 1.05,
      });
    }
  }
  return checks;
}

// --- scale -----------------------------------------------------------------------------------------------

const mb = (bytes: unknown) => Math.round((Number(bytes) / 2 ** 20) * 10) / 10;

type BlockCounts = Omit<IoReport, 'hitPercent'>;

/** The database's block counters; PostgreSQL publishes a backend's counts when it goes idle (within a second). */
async function blockCounts(db: BenchDatabase): Promise<BlockCounts> {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const [row] = await db.query(
    `SELECT blks_hit, blks_read, blk_read_time FROM pg_stat_database WHERE datname = current_database()`,
  );
  return { blocksHit: Number(row.blks_hit), blocksRead: Number(row.blks_read), readMs: Number(row.blk_read_time) };
}

function ioReport(before: BlockCounts, after: BlockCounts): IoReport {
  const blocksHit = after.blocksHit - before.blocksHit;
  const blocksRead = after.blocksRead - before.blocksRead;
  const total = Math.max(1, blocksHit + blocksRead);
  return {
    blocksHit,
    blocksRead,
    hitPercent: Math.round((blocksHit / total) * 1000) / 10,
    readMs: Math.round(after.readMs - before.readMs),
  };
}

async function sizes(db: BenchDatabase): Promise<SizeReport> {
  const [total] = await db.query(
    `SELECT pg_total_relation_size('aura_users') AS total, pg_relation_size('aura_users') AS heap,
       pg_table_size('aura_users') AS "table", pg_indexes_size('aura_users') AS indexes`,
  );
  const indexes = await db.query(
    `SELECT indexrelname AS name, pg_relation_size(indexrelid) AS size FROM pg_stat_user_indexes
     WHERE relname = 'aura_users' ORDER BY indexrelname`,
  );
  return {
    totalMb: mb(total.total),
    tableMb: mb(total.table),
    heapMb: mb(total.heap),
    indexesMb: mb(total.indexes),
    indexes: Object.fromEntries(indexes.map((row) => [row.name as string, mb(row.size)])),
  };
}

/**
 * The users table grows to each size in turn; at each, the service alone runs the lookup and the
 * get-or-create, and the lookup at a modest fixed rate (the baseline, which runs the same SQL, would double the time without telling more about
 * growth). The check: the lookup's p99 at the largest size within 1.3× of the smallest's, under both loads.
 */
async function scaleRun(
  db: BenchDatabase,
  servers: Record<Target, Server>,
  credentials: Credentials,
  pii: PersonalDataCipher,
  steps: number[],
): Promise<void> {
  const points: ScalePoint[] = [];
  let seededUsers = steps[0];
  for (const users of steps) {
    let seedingSeconds = 0;
    if (users > seededUsers) {
      process.stdout.write(`Growing to ${users} users… `);
      const started = performance.now();
      await seedUsers(db, seededUsers, users, pii);
      // The bulk insert's dirty pages written out now rather than by a checkpoint in the middle of a run.
      await db.query('VACUUM ANALYZE aura_users');
      await db.query('CHECKPOINT');
      seedingSeconds = Math.round((performance.now() - started) / 1000);
      console.log(`${seedingSeconds} s`);
      seededUsers = users;
    }
    const size = await sizes(db);
    const selected = scenarios(servers, credentials, users, [SCALE_RATE]).filter((scenario) =>
      [S.get, S.getOrCreate, S.fixed(SCALE_RATE)].some((name) => name === scenario.name),
    );
    if (points.length === 0) {
      // The service has just started: JIT and pools warm up longer than a scenario's own warm-up.
      for (const scenario of selected) {
        await measure({ ...scenario.options('service'), duration: 10, amount: undefined });
      }
    }
    const results: Record<string, Measurement> = {};
    const ioBefore = await blockCounts(db);
    for (const scenario of selected) {
      results[scenario.name] = (await runScenario(scenario, servers, ['service'])).service;
    }
    const io = ioReport(ioBefore, await blockCounts(db));
    const get = results[S.get];
    const getOrCreate = results[S.getOrCreate];
    const paced = results[S.fixed(SCALE_RATE)];
    console.log(
      `  ${users} users (${size.totalMb} MB): lookup p50 ${get.p50} p99 ${get.p99} ms, ${get.cpuMsPerRequest} ms CPU; ` +
        `get-or-create p50 ${getOrCreate.p50} p99 ${getOrCreate.p99} ms, ${getOrCreate.cpuMsPerRequest} ms CPU; ` +
        `lookup at ${SCALE_RATE} req/s p50 ${paced.p50} p99 ${paced.p99} ms; ` +
        `buffer hits ${io.hitPercent} %, ${io.blocksRead} blocks read in ${io.readMs} ms`,
    );
    points.push({ users, seedingSeconds, size, get, getOrCreate, paced, io });
  }
  const [first, last] = [points[0], points[points.length - 1]];
  const growth = (pick: (point: ScalePoint) => number) =>
    Math.round((pick(last) / Math.max(pick(first), 0.1)) * 100) / 100;
  const checks = [
    { label: `GET /users/{auraId}, ${CONNECTIONS} connections`, pick: (point: ScalePoint) => point.get.p99 },
    { label: `GET /users/{auraId} at ${SCALE_RATE} req/s`, pick: (point: ScalePoint) => point.paced.p99 },
  ].map(({ label, pick }) => ({
    check: `${label}: p99 at ${last.users} users ${pick(last)} ms, ${growth(pick)}× the ${pick(first)} ms at ${first.users} ≤ 1.3`,
    met: growth(pick) <= 1.3,
  }));
  // The service's own work per request must not grow with the table either.
  for (const { label, pick } of [
    {
      label: `GET /users/{auraId}, ${CONNECTIONS} connections`,
      pick: (point: ScalePoint) => point.get.cpuMsPerRequest,
    },
    { label: S.getOrCreate, pick: (point: ScalePoint) => point.getOrCreate.cpuMsPerRequest },
  ]) {
    checks.push({
      check:
        `${label}: CPU ${pick(last)} ms/request at ${last.users} users, ${growth(pick)}× the ${pick(first)} ms ` +
        `at ${first.users} ≤ 1.3`,
      met: growth(pick) <= 1.3,
    });
  }
  const report = {
    date: new Date().toISOString(),
    machine: machine(),
    database: 'postgresql',
    settings: {
      durationSeconds: DURATION,
      repetitions: REPETITIONS,
      connections: CONNECTIONS,
      rate: SCALE_RATE,
      steps,
    },
    pinning,
    peakRssMb: peakRssMb(servers.service.process.pid!),
    points,
    checks,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'scale.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(RESULTS_DIR, 'scale.svg'), scaleSvg(points, SCALE_RATE));
  mkdirSync('docs', { recursive: true });
  copyFileSync(join(RESULTS_DIR, 'scale.svg'), join('docs', 'bench-scale.svg'));
  console.log(`Written to ${RESULTS_DIR}/scale.json and scale.svg (copied to docs/bench-scale.svg).`);
  for (const { check, met } of checks) {
    console.log(`  ${met ? 'met   ' : 'MISSED'} ${check}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

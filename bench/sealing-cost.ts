/**
 * `npm run bench:sealing`: the CPU time that sealing personal data (docs/pii.md) adds to each hot path, measured
 * on the very functions the users repository and service call, in this process, many times after a warm-up.
 * Reported in µs per request and as a share of the service's CPU time per request from the last `npm run bench`
 * (bench-results/latest.json when present; otherwise `--get-ms` and `--get-or-create-ms`, defaults 0.52 and 0.73).
 *
 * What each path adds (everything else it does, it did before sealing):
 * - GET /users/{auraId}: opening the record's authentication context (the benchmark's users carry one), and its
 *   phone number when it has one;
 * - get-or-create (Kernel): the keyed pseudonym of auraIdGlobal, the phone-number scan of the record's values
 *   (`phone_mentions`), opening the returned context; with a phone number also its blind index, sealing it, and
 *   opening it back in the returned row.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { UsersSettings } from 'src/users/users.settings';
import { PersonalDataCipher, SealedColumn } from 'src/users/personal-data';
import { PhoneNumbers } from 'src/users/phone-numbers';

const ITERATIONS = Number(process.env.BENCH_SEALING_ITERATIONS ?? 200_000);
const WARM_UP = Math.ceil(ITERATIONS / 5);
const ROUNDS = 5;
const LATEST = 'bench-results/latest.json';
const GET_SCENARIO = 'GET /users/{auraId}';
const GET_OR_CREATE_SCENARIO = 'GET /users/aura-id (90% existing)';

const pii = new PersonalDataCipher({
  PII_KEYS: `bench:${randomBytes(32).toString('base64url')}`,
  PII_INDEX_KEY: randomBytes(32).toString('base64url'),
});
const phoneNumbers = new PhoneNumbers({ PHONE_DEFAULT_REGION: 'ES' } as UsersSettings);

// The benchmark's data (bench/run.ts): one context for the Kernel users, numbers for the identifiable ones.
const CONTEXT = '{"loa":2,"scopes":["profile"],"purposes":["chat"]}';
const PHONE = '+34600000042';
const sealedContext = pii.seal(SealedColumn.AuthenticationContext, CONTEXT);
const sealedPhone = pii.seal(SealedColumn.PhoneNumber, PHONE);
let n = 0;
const userId = () => `bench-user-${(n = (n + 1) % 50_000)}`;

/** The repository's `mentions`: blind indexes of the numbers written in the record's values, but its own. */
const mentions = (phone: string | null, values: unknown[]) =>
  phoneNumbers
    .findAll(values)
    .filter((number) => number !== phone)
    .map((number) => pii.phoneIndex(number));

const operations: Record<string, () => unknown> = {
  'open the context': () => pii.open(SealedColumn.AuthenticationContext, sealedContext),
  'open a phone number': () => pii.open(SealedColumn.PhoneNumber, sealedPhone),
  'seal a phone number': () => pii.seal(SealedColumn.PhoneNumber, PHONE),
  'blind index of a phone number': () => pii.phoneIndex(PHONE),
  'pseudonym (auraIdGlobal)': () => pii.pseudonym('aura-id-global', userId()),
  'mentions of a Kernel userId': () => mentions(null, [userId()]),
};

/** CPU µs per call: the median of ROUNDS rounds of ITERATIONS calls, after WARM_UP calls. */
function cpuMicros(operation: () => unknown): number {
  for (let i = 0; i < WARM_UP; i++) {
    operation();
  }
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < ITERATIONS; i++) {
      operation();
    }
    const { user, system } = process.cpuUsage(start);
    rounds.push((user + system) / ITERATIONS);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

/** CPU ms per request of the service in the last benchmark, by scenario; arguments win. */
function serviceCpuMs(): { get: number; getOrCreate: number; source: string } {
  const { values } = parseArgs({
    options: { 'get-ms': { type: 'string' }, 'get-or-create-ms': { type: 'string' } },
  });
  let get = 0.52;
  let getOrCreate = 0.73;
  let source = 'the defaults (the service figures of the last benchmark run before this tool)';
  if (existsSync(LATEST)) {
    const report = JSON.parse(readFileSync(LATEST, 'utf8')) as {
      date?: string;
      results?: { name: string; service: { cpuMsPerRequest: number } }[];
    };
    const cpu = (name: string) => report.results?.find((result) => result.name === name)?.service.cpuMsPerRequest;
    const fromGet = cpu(GET_SCENARIO);
    const fromGetOrCreate = cpu(GET_OR_CREATE_SCENARIO);
    if (fromGet !== undefined && fromGetOrCreate !== undefined) {
      [get, getOrCreate, source] = [fromGet, fromGetOrCreate, `${LATEST} (${report.date ?? 'undated'})`];
    }
  }
  if (values['get-ms'] !== undefined || values['get-or-create-ms'] !== undefined) {
    get = Number(values['get-ms'] ?? get);
    getOrCreate = Number(values['get-or-create-ms'] ?? getOrCreate);
    source = 'arguments';
  }
  if (!(get > 0 && getOrCreate > 0)) {
    throw new Error('--get-ms and --get-or-create-ms must be positive numbers (CPU ms per request)');
  }
  return { get, getOrCreate, source };
}

function main(): void {
  const service = serviceCpuMs();
  console.log(`Sealing cost: ${ITERATIONS} calls × ${ROUNDS} rounds per operation after ${WARM_UP} warm-up calls.`);
  const micros: Record<string, number> = {};
  for (const [name, operation] of Object.entries(operations)) {
    micros[name] = cpuMicros(operation);
    console.log(`  ${name.padEnd(32)} ${micros[name].toFixed(2).padStart(7)} µs`);
  }
  const sum = (...names: string[]) => names.reduce((total, name) => total + micros[name], 0);
  const getOrCreateBase = ['pseudonym (auraIdGlobal)', 'mentions of a Kernel userId', 'open the context'];
  const withPhone = ['blind index of a phone number', 'seal a phone number', 'open a phone number'];
  const paths = [
    { path: 'GET /users/{auraId}, as benchmarked (a context)', added: sum('open the context'), of: service.get },
    {
      path: 'GET /users/{auraId}, a context and a phone number',
      added: sum('open the context', 'open a phone number'),
      of: service.get,
    },
    { path: 'get-or-create, as benchmarked (no phone)', added: sum(...getOrCreateBase), of: service.getOrCreate },
    {
      path: 'get-or-create with a phone number',
      added: sum(...getOrCreateBase, ...withPhone),
      of: service.getOrCreate,
    },
  ];
  console.log(
    `\nService CPU per request from ${service.source}: GET ${service.get} ms, get-or-create ${service.getOrCreate} ms.`,
  );
  console.log('Added by sealing, per request:');
  for (const { path, added, of } of paths) {
    const share = (added / (of * 1000)) * 100;
    console.log(`  ${path.padEnd(52)} ${added.toFixed(1).padStart(6)} µs = ${share.toFixed(2)} % of ${of} ms`);
  }
  const worst = Math.max(...paths.map(({ added, of }) => (added / (of * 1000)) * 100));
  console.log(`\nTarget: at most 5 % on either path — ${worst <= 5 ? 'met' : 'MISSED'} (worst ${worst.toFixed(2)} %).`);
}

main();

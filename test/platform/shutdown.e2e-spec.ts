import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type RunningService } from '../support/built-service';
import { DirectLineStub } from '../support/directline-stub';
import { freshDatabase, TEST_ENV, type TestDatabase } from '../support/test-app';

interface Outcome {
  requestId?: string;
  status?: number;
  error?: string;
}

/** One request on its own connection, with when it was sent and how it ended. */
function get(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = {};
    const req = request(
      `${baseUrl}${path}`,
      { headers: { ...headers, connection: 'close' }, agent: false },
      (response) => {
        response.resume();
        outcome.requestId = response.headers['x-request-id'] as string | undefined;
        response.on('end', () => resolve({ ...outcome, status: response.statusCode ?? 0 }));
        response.on('error', (error) =>
          resolve({ ...outcome, error: (error as NodeJS.ErrnoException).code ?? error.message }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ...outcome, error: error.code ?? error.message }));
    req.end();
  });
}

describe('graceful shutdown of the production build', () => {
  let service: RunningService;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase({ persistent: true });
    service = await startService({ ...TEST_ENV, ...database.env, SHUTDOWN_TIMEOUT_MS: '10000', LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    service.process.kill('SIGKILL');
    await database.drop();
  });

  it('should finish every accepted request during a burst, then exit 0 on SIGTERM', async () => {
    const outcomes: Promise<Outcome>[] = [];
    let stop = false;
    let answered = 0;
    const burst = async () => {
      while (!stop) {
        // The OpenAPI document: a logged route with a sizeable body to flush.
        const outcome = get(service.baseUrl, '/docs-json');
        outcomes.push(outcome);
        if ((await outcome).status !== undefined) {
          answered++;
        }
      }
    };
    const workers = Array.from({ length: 16 }, () => burst());
    // The signal comes once the burst is in full swing (a count, not a delay: a busy machine answers fewer
    // requests in the same time), with requests in flight on every worker.
    for (let waited = 0; answered < 60 && waited < 20_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    service.process.kill('SIGTERM');
    const code = await service.exited;
    stop = true;
    await Promise.all(workers);
    const results = await Promise.all(outcomes);

    // Accepted = the service started handling it (its log has the request). Connections still in the
    // kernel's accept queue when the listener closes are refused or reset: never accepted, safe to retry.
    const handled = service
      .output()
      .split('\n')
      .filter((line) => line.includes('"route":"/docs-json"'))
      .map((line) => JSON.parse(line) as { requestId: string; status: number; message: string });
    const received = new Map(
      results.filter((outcome) => outcome.status !== undefined).map((o) => [o.requestId, o.status]),
    );
    expect(code).toBe(0);
    expect(handled.length).toBeGreaterThan(50);
    expect(handled.filter((line) => line.message !== 'request completed')).toEqual([]);
    expect(handled.filter((line) => received.get(line.requestId) !== line.status)).toEqual([]);
    expect([...received.values()].every((status) => status === 200 || status === 503)).toBe(true);
    const refused = results.length - received.size;
    console.log(
      `shutdown: ${handled.length} requests accepted, every one answered; ${refused} refused or reset before acceptance; exit ${code}`,
    );
  });
});

describe('graceful shutdown with slow Direct Line calls in flight (production build)', () => {
  const SECRET = 'stub-directline-secret-shutdown';
  let stub: DirectLineStub;
  let dataDir: string;
  let service: RunningService;
  let key: string;

  beforeAll(async () => {
    stub = await DirectLineStub.start({ secret: SECRET });
    dataDir = await mkdtemp(join(tmpdir(), 'aura-shutdown-'));
    // A development instance on a fresh embedded database prints one key per tier at its first start.
    service = await startService({
      ...TEST_ENV,
      NODE_ENV: 'development',
      DATABASE_URL: undefined,
      DATA_DIR: dataDir,
      DIRECTLINE_SECRET: SECRET,
      DIRECTLINE_BASE_URL: stub.url,
      // Seconds: all twenty calls must reach the stub, and the held ones be answered, before the deadline ends
      // them, on a busy machine too; the drain outlasts the deadline.
      DIRECTLINE_TIMEOUT_MS: '8000',
      DIRECTLINE_DEADLINE_MS: '8000',
      SHUTDOWN_TIMEOUT_MS: '15000',
    });
    key = /public\s+(aak_\S+)/.exec(service.output())![1];
  });
  afterAll(async () => {
    service?.process.kill('SIGKILL');
    await stub?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should answer every in-flight Direct Line call (late, or by its deadline) before exiting 0 on SIGTERM', async () => {
    // Half the calls get their token after the signal, the other half never: those end at DIRECTLINE_DEADLINE_MS.
    stub.fail({ kind: 'hold' }, 10).thenFail({ kind: 'hang' });
    const inFlight = Array.from({ length: 20 }, () => get(service.baseUrl, '/token', { 'x-api-key': key }));
    for (const until = Date.now() + 30_000; Date.now() < until && stub.calls.length < 20;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stub.calls).toHaveLength(20);
    const signalled = Date.now();
    service.process.kill('SIGTERM');
    stub.release();
    const code = await service.exited;
    const drainedMs = Date.now() - signalled;
    const results = await Promise.all(inFlight);

    // Exit 0 means the drain finished before SHUTDOWN_TIMEOUT_MS (15 s), which exits 1 with requests open.
    expect(code).toBe(0);
    expect(results.map((result) => result.error)).toEqual(Array(20).fill(undefined));
    expect(results.map((result) => result.status).sort()).toEqual([...Array(10).fill(200), ...Array(10).fill(504)]);
    console.log(
      `shutdown with 20 slow Direct Line calls in flight: 10× 200 answered after SIGTERM, 10× 504 at the 8 s ` +
        `deadline; exit ${code} ${drainedMs} ms after SIGTERM (drain limit 15000 ms)`,
    );
  });
});

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Response } from 'light-my-request';
import { Tier } from 'src/auth/tier';
import { DirectLineStub, type DirectLineFault } from '../support/directline-stub';
import { apiKeyHeader, createTestApp, type TestApp } from '../support/test-app';
import { DirectLineSettings } from 'src/directline/directline.settings';

const SECRET = 'stub-directline-secret-faults';
const CONCURRENCY = 60;
const FAILING_CALLS = Number(process.env.UPSTREAM_FAILING_CALLS ?? 1600);

/** A garbage collection on demand, to compare heaps without what is merely not yet collected. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Every answer in, or 'hung' for a call still open when the bound passed. */
async function within(bound: number, call: Promise<Response>): Promise<Response | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), bound)));
  try {
    return await Promise.race([call, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Direct Line misbehaving while many callers want tokens at once. Each call must be answered by the configured
 * deadline (the bound the test waits for, not a timing assertion) with the documented problem for that fault.
 */
describe('Direct Line faults under concurrent load', () => {
  let stub: DirectLineStub;
  let t: TestApp;
  let headers: Record<string, string>;
  let bound: number;
  const report: string[] = [];

  beforeAll(async () => {
    stub = await DirectLineStub.start({ secret: SECRET });
    t = await createTestApp({
      DIRECTLINE_SECRET: SECRET,
      DIRECTLINE_BASE_URL: stub.url,
      // Seconds: sixty answers at once on a busy machine must not time out unless the stub means them to.
      DIRECTLINE_TIMEOUT_MS: '3000',
      DIRECTLINE_DEADLINE_MS: '6000',
      DIRECTLINE_MAX_RETRIES: '1',
      DIRECTLINE_RETRY_INITIAL_DELAY_MS: '5',
      DIRECTLINE_BREAKER_THRESHOLD: '1000',
      RATE_LIMIT_LIMIT: '1000000',
    });
    headers = apiKeyHeader((await t.createKey(Tier.Public)).key);
    // What a call may take: the deadline, plus the time the event loop needs to answer many at once. 5 s of
    // margin: a call held well past its deadline is the fault this looks for, not a stall of a busy machine.
    bound = t.config.get(DirectLineSettings).DIRECTLINE_DEADLINE_MS + 5_000;
  });
  afterAll(async () => {
    console.log(`Direct Line faults (${CONCURRENCY} concurrent calls each, bound ${bound} ms):\n${report.join('\n')}`);
    try {
      await t?.close();
    } finally {
      await stub?.close();
    }
  });

  /** One successful call: the breaker's count of consecutive failures starts again. */
  async function healthyCall(): Promise<void> {
    stub.recover();
    expect((await t.request({ method: 'GET', url: '/token', headers })).statusCode).toBe(200);
  }

  async function wave(count: number): Promise<Array<Response | 'hung'>> {
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        within(bound, t.request({ method: 'GET', url: i % 2 === 0 ? '/token' : '/token/wss', headers })),
      ),
    );
  }

  it.each<[string, DirectLineFault, number, string]>([
    ['hangs', { kind: 'hang' }, 504, 'directline_timeout'],
    ['drips its body forever', { kind: 'drip', intervalMs: 20 }, 504, 'directline_timeout'],
    ['resets the connection', { kind: 'reset' }, 502, 'directline_unavailable'],
    ['answers garbage', { kind: 'garbage' }, 502, 'directline_bad_response'],
    ['answers JSON of the wrong shape', { kind: 'malformed' }, 502, 'directline_bad_response'],
    ['fails with 500', { kind: 'status', status: 500 }, 502, 'directline_unavailable'],
    ['throttles with 429', { kind: 'status', status: 429, retryAfter: '30' }, 503, 'directline_throttled'],
  ])('should answer every concurrent call by the deadline when Direct Line %s', async (name, fault, status, code) => {
    await healthyCall();
    stub.fail(fault);
    const started = Date.now();
    const answers = await wave(CONCURRENCY);
    const elapsed = Date.now() - started;
    expect(answers.filter((answer) => answer === 'hung')).toEqual([]);
    const outcomes = (answers as Response[]).map(
      (answer) => `${answer.statusCode} ${answer.json<{ code: string }>().code}`,
    );
    expect([...new Set(outcomes)]).toEqual([`${status} ${code}`]);
    report.push(`  ${name.padEnd(32)} → ${outcomes.length}× ${status} ${code}, all answered in ${elapsed} ms`);
  });

  it(`should not grow the heap over ${FAILING_CALLS} failing calls`, async () => {
    const gc = collector();
    // Over a real loopback socket: in-process injection keeps about 12 KiB per request in its mock sockets,
    // which would drown what this measures (the service's own growth).
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = await t.app.getUrl();
    const faults: DirectLineFault[] = [{ kind: 'garbage' }, { kind: 'reset' }, { kind: 'status', status: 500 }];
    const call = (url: string) =>
      fetch(base.replace('[::1]', '127.0.0.1') + url, { headers }).then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      });
    const run = async (calls: number) => {
      for (let done = 0; done < calls; done += CONCURRENCY) {
        stub.recover();
        expect(await call('/token')).toBe(200);
        stub.fail(faults[(done / CONCURRENCY) % faults.length]);
        const statuses = await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, calls - done) }, (_, i) =>
            call(i % 2 === 0 ? '/token' : '/token/wss'),
          ),
        );
        expect(statuses.filter((status) => status < 500)).toEqual([]);
        stub.calls.length = 0;
      }
    };
    // The test app keeps every log line and problem body for its leak scan: that is the harness, not the service.
    const retainedByHarness = () => [...t.logs.lines, ...t.problemBodies].reduce((sum, text) => sum + text.length, 0);
    const heapAfter = async (calls: number) => {
      await run(calls);
      gc();
      return process.memoryUsage().heapUsed - retainedByHarness();
    };
    // Warm-up, then two equal batches: the first grows what is merely warming up (pools, compiled code),
    // a leak grows the second just as much.
    const warm = await heapAfter(300);
    const first = await heapAfter(FAILING_CALLS / 2);
    const second = await heapAfter(FAILING_CALLS / 2);
    const mib = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / 2 ** 20).toFixed(1)} MiB`;
    report.push(
      `  heap over ${FAILING_CALLS} failing calls in two batches (after GC, less the test's own log copies): ` +
        `${mib(first - warm)}, then ${mib(second - first)} (${((second - first) / (FAILING_CALLS / 2)).toFixed(0)} B per call)`,
    );
    // Generous: a leak of 4 KiB per failing call would be about 4 MiB in the second batch.
    expect((second - first) / 2 ** 20).toBeLessThan(4);
  });
});

/** The breaker with many callers at once: it opens, fails fast without calling Direct Line, probes once, closes. */
describe('Direct Line circuit breaker under concurrent load', () => {
  let stub: DirectLineStub;
  let t: TestApp;
  let headers: Record<string, string>;
  // Long enough that a wave of CONCURRENCY calls failing fast (milliseconds) ends before the breaker half-opens,
  // with 10 s of margin for a stall of a busy shared machine.
  const HALF_OPEN_AFTER_MS = 10_000;

  beforeAll(async () => {
    stub = await DirectLineStub.start({ secret: SECRET });
    t = await createTestApp({
      DIRECTLINE_SECRET: SECRET,
      DIRECTLINE_BASE_URL: stub.url,
      // Long enough for sixty fresh connections at once on a busy machine: this test is about the breaker.
      DIRECTLINE_TIMEOUT_MS: '2000',
      DIRECTLINE_DEADLINE_MS: '3000',
      DIRECTLINE_MAX_RETRIES: '0',
      DIRECTLINE_BREAKER_THRESHOLD: '5',
      DIRECTLINE_BREAKER_HALF_OPEN_AFTER_MS: String(HALF_OPEN_AFTER_MS),
      RATE_LIMIT_LIMIT: '1000000',
    });
    headers = apiKeyHeader((await t.createKey(Tier.Public)).key);
  });
  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      await stub?.close();
    }
  });

  const wave = (count: number) =>
    Promise.all(Array.from({ length: count }, () => t.request({ method: 'GET', url: '/token', headers })));
  const breakerState = async () => /directline_circuit_state\{state="(\w+)"\} 1/.exec((await t.scrape()).body)?.[1];
  const codes = (responses: Response[]) =>
    [...new Set(responses.map((r) => (r.statusCode === 200 ? '200' : `${r.statusCode} ${r.json().code}`)))].sort();

  it('should open under a failing burst, fail fast while open, let one probe through, and close when it succeeds', async () => {
    // The first call in a process loads the HTTP client: not something to spend the short attempt timeout on.
    expect((await t.request({ method: 'GET', url: '/token', headers })).statusCode).toBe(200);
    stub.fail({ kind: 'status', status: 503 });
    // Enough failures to open it: the calls already under way finish with their own failure.
    const burst = await wave(CONCURRENCY);
    expect(
      codes(burst).every((code) => code === '502 directline_unavailable' || code === '503 directline_circuit_open'),
    ).toBe(true);

    const callsBefore = stub.calls.length;
    const open = await wave(CONCURRENCY);
    expect(codes(open)).toEqual(['503 directline_circuit_open']);
    expect(open.every((response) => Number(response.headers['retry-after']) >= 1)).toBe(true);
    expect(stub.calls.length).toBe(callsBefore);

    // Half-open with Direct Line still failing: one probe goes out, and every caller waiting on it is refused.
    await new Promise((resolve) => setTimeout(resolve, HALF_OPEN_AFTER_MS + 50));
    const failedProbe = await wave(CONCURRENCY);
    expect(stub.calls.length).toBe(callsBefore + 1);
    expect(codes(failedProbe)).toEqual(['502 directline_unavailable', '503 directline_circuit_open']);
    expect(failedProbe.filter((response) => response.statusCode === 502)).toHaveLength(1);

    // Half-open with Direct Line back: the probe succeeds, the breaker closes and the waiting callers go through.
    stub.recover();
    await new Promise((resolve) => setTimeout(resolve, HALF_OPEN_AFTER_MS + 50));
    const recovered = await wave(CONCURRENCY);
    expect(codes(recovered)).toEqual(['200']);
    expect(await breakerState()).toBe('closed');
    console.log(
      `breaker under load: burst ${JSON.stringify(codes(burst))}; open: ${CONCURRENCY}× circuit_open without an upstream call; ` +
        `half-open: one failed probe for ${CONCURRENCY} callers; recovered: ${CONCURRENCY}× 200`,
    );
  });
});

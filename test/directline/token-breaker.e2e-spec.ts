import { setTimeout as sleep } from 'node:timers/promises';
import { DirectLineStub } from '../support/directline-stub';
import { startDirectLineApp, type DirectLineApp } from '../support/directline-app';
import type { TestApp } from '../support/test-app';

const SECRET = 'stub-directline-secret-breaker';
// Long enough that the checks made while the breaker is open (two refused calls and a scrape: milliseconds)
// finish before it half-opens, with 10 s of margin for a stall of a busy shared machine.
const HALF_OPEN_AFTER_MS = 10_000;

/** The tests run in order: each starts from the breaker state the previous one left. */
describe('Direct Line circuit breaker', () => {
  let app: DirectLineApp;
  let stub: DirectLineStub;
  let t: TestApp;

  beforeAll(async () => {
    app = await startDirectLineApp(SECRET, {
      // Seconds: a stub answer delayed by a busy machine must not time out and count as a failure. The timeouts
      // counted below come from a stub that never answers (2 × 2 s, then a reset, within the 9 s deadline).
      DIRECTLINE_TIMEOUT_MS: '2000',
      DIRECTLINE_DEADLINE_MS: '9000',
      DIRECTLINE_MAX_RETRIES: '2',
      DIRECTLINE_RETRY_INITIAL_DELAY_MS: '5',
      DIRECTLINE_BREAKER_THRESHOLD: '3',
      DIRECTLINE_BREAKER_HALF_OPEN_AFTER_MS: String(HALF_OPEN_AFTER_MS),
    });
    ({ stub, t } = app);
  });
  afterAll(() => app?.close());

  const get = (url: string) => app.get(url);
  const breakerState = async () => {
    const metrics = (await t.scrape()).body;
    return /directline_circuit_state\{state="(\w+)"\} 1/.exec(metrics)?.[1];
  };

  it('should start closed', async () => {
    expect((await get('/token')).statusCode).toBe(200);
    expect(await breakerState()).toBe('closed');
  });

  it('should open after consecutive failures and then fail fast without calling Direct Line', async () => {
    stub.reset();
    stub.fail({ kind: 'status', status: 503 });
    const failing = await get('/token');
    expect(failing.statusCode).toBe(502);
    expect(stub.calls).toHaveLength(3);
    expect(await breakerState()).toBe('open');

    for (const url of ['/token', '/token/wss']) {
      const refused = await get(url);
      expect(refused.statusCode).toBe(503);
      expect(refused.json().code).toBe('directline_circuit_open');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(stub.calls).toHaveLength(3);
    expect((await t.scrape()).body).toMatch(
      /directline_errors_total\{operation="generate_token",kind="circuit_open"\} 1/,
    );
  });

  it('should open again when the probe after the break fails', async () => {
    stub.reset();
    stub.fail({ kind: 'status', status: 503 });
    await sleep(HALF_OPEN_AFTER_MS + 50);
    const probe = await get('/token');
    // The probe fails, the breaker opens again and the retry is refused without calling Direct Line.
    expect(probe.statusCode).toBe(503);
    expect(probe.json().code).toBe('directline_circuit_open');
    expect(stub.calls).toHaveLength(1);
    expect(await breakerState()).toBe('open');
  });

  it('should close once Direct Line recovers and the probe succeeds', async () => {
    stub.reset();
    await sleep(HALF_OPEN_AFTER_MS + 50);
    const probe = await get('/token/wss');
    expect(probe.statusCode).toBe(200);
    expect(await breakerState()).toBe('closed');
    expect((await get('/token')).statusCode).toBe(200);
    expect(stub.calls).toHaveLength(2);
  });

  it('should count timeouts and dropped connections towards opening, but not a refused secret', async () => {
    stub.reset();
    stub.fail({ kind: 'status', status: 403 });
    for (let call = 0; call < 4; call++) {
      expect((await get('/token')).json().code).toBe('directline_secret_rejected');
    }
    expect(await breakerState()).toBe('closed');

    // Two timed-out attempts and a dropped connection: three consecutive upstream faults in one call.
    stub.calls.length = 0;
    stub.fail({ kind: 'hang' }, 2).thenFail({ kind: 'reset' });
    expect((await get('/token')).json().code).toBe('directline_unavailable');
    expect(stub.calls).toHaveLength(3);
    expect(await breakerState()).toBe('open');
  });
});

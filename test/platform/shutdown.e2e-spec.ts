import { request } from 'node:http';
import { startService, type RunningService } from '../support/built-service';
import { freshDatabase, TEST_ENV, type TestDatabase } from '../support/test-app';

interface Outcome {
  /** When the request was fully written to an established connection. */
  sentAt?: number;
  status?: number;
  error?: string;
}

/** One request on its own connection, with when it was sent and how it ended. */
function get(baseUrl: string, path: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = {};
    const req = request(`${baseUrl}${path}`, { headers: { connection: 'close' }, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve({ ...outcome, status: response.statusCode ?? 0 }));
      response.on('error', (error) =>
        resolve({ ...outcome, error: (error as NodeJS.ErrnoException).code ?? error.message }),
      );
    });
    req.on('finish', () => (outcome.sentAt = Date.now()));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ...outcome, error: error.code ?? error.message }));
    req.end();
  });
}

describe('graceful shutdown of the production build', () => {
  let service: RunningService;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase({ persistent: true });
    service = await startService({ ...TEST_ENV, ...database.env, SHUTDOWN_TIMEOUT_MS: '10000', LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    service.process.kill('SIGKILL');
    await database.drop();
  });

  it('should finish every accepted request during a burst, then exit 0 on SIGTERM', async () => {
    const outcomes: Promise<Outcome>[] = [];
    let stop = false;
    const burst = async () => {
      while (!stop) {
        const outcome = get(service.baseUrl, '/healthz');
        outcomes.push(outcome);
        await outcome;
      }
    };
    const workers = Array.from({ length: 16 }, () => burst());
    await new Promise((resolve) => setTimeout(resolve, 500));
    const terminatedAt = Date.now();
    service.process.kill('SIGTERM');
    const code = await service.exited;
    stop = true;
    await Promise.all(workers);
    const results = await Promise.all(outcomes);

    // Sent before the signal: the service had them, and must answer every one.
    const accepted = results.filter((outcome) => outcome.sentAt !== undefined && outcome.sentAt < terminatedAt);
    const lateAnswered = results.filter((outcome) => !accepted.includes(outcome) && outcome.status !== undefined);
    expect(code).toBe(0);
    expect(accepted.length).toBeGreaterThan(50);
    expect(accepted.filter((outcome) => outcome.status !== 200)).toEqual([]);
    expect(lateAnswered.every((outcome) => outcome.status === 200 || outcome.status === 503)).toBe(true);
    console.log(
      `shutdown: ${accepted.length} requests sent before SIGTERM, all answered 200; after it ${lateAnswered.length} answered, ` +
        `${results.length - accepted.length - lateAnswered.length} refused or reset by the closing listener; exit ${code}`,
    );
  });
});

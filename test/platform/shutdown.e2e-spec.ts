import { request } from 'node:http';
import { startService, type RunningService } from '../support/built-service';
import { freshDatabase, TEST_ENV, type TestDatabase } from '../support/test-app';

interface Outcome {
  requestId?: string;
  status?: number;
  error?: string;
}

/** One request on its own connection, with when it was sent and how it ended. */
function get(baseUrl: string, path: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = {};
    const req = request(`${baseUrl}${path}`, { headers: { connection: 'close' }, agent: false }, (response) => {
      response.resume();
      outcome.requestId = response.headers['x-request-id'] as string | undefined;
      response.on('end', () => resolve({ ...outcome, status: response.statusCode ?? 0 }));
      response.on('error', (error) =>
        resolve({ ...outcome, error: (error as NodeJS.ErrnoException).code ?? error.message }),
      );
    });
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
    const burst = async () => {
      while (!stop) {
        // The OpenAPI document: a logged route with a sizeable body to flush.
        const outcome = get(service.baseUrl, '/docs-json');
        outcomes.push(outcome);
        await outcome;
      }
    };
    const workers = Array.from({ length: 16 }, () => burst());
    await new Promise((resolve) => setTimeout(resolve, 500));
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

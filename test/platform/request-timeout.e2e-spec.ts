import { connect } from 'node:net';
import { startService, type RunningService } from '../support/built-service';
import { freshDatabase, TEST_ENV, type TestDatabase } from '../support/test-app';

interface SocketOutcome {
  response: string;
  closedAfterMs: number;
}

/** A raw connection that sends `head` and then nothing more: how long until the server answers and closes it. */
function stall(baseUrl: string, head: string): Promise<SocketOutcome> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const started = Date.now();
    let response = '';
    const socket = connect(Number(port), hostname, () => socket.write(head));
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ response, closedAfterMs: Date.now() - started }));
  });
}

const SLOW_BODY =
  'POST /users/slow HTTP/1.1\r\nHost: aura\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":';
const SLOW_HEADERS = 'GET /healthz HTTP/1.1\r\nHost: aura\r\nX-Slow: ';

describe('bounded request time (HTTP_REQUEST_TIMEOUT_MS) on the production build', () => {
  let service: RunningService;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase({ persistent: true });
    service = await startService({ ...TEST_ENV, ...database.env, HTTP_REQUEST_TIMEOUT_MS: '1000', LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    service?.process.kill('SIGKILL');
    await service?.exited;
    await database?.drop();
  });

  it('should answer 408 problem+json and close every socket whose request does not arrive in time', async () => {
    const outcomes = await Promise.all([
      ...Array.from({ length: 40 }, () => stall(service.baseUrl, SLOW_BODY)),
      ...Array.from({ length: 10 }, () => stall(service.baseUrl, SLOW_HEADERS)),
    ]);
    const slowest = Math.max(...outcomes.map((outcome) => outcome.closedAfterMs));
    console.log(`50 stalled requests: all closed, the last after ${slowest} ms (HTTP_REQUEST_TIMEOUT_MS = 1000)`);
    // The timeout, plus the server's once-a-second check, plus 5 s of margin for a busy shared machine (sockets
    // that 50 stalls hold open at once, served by a process competing for both cores); without the timeout they
    // would stay open for HTTP_CONNECTION_TIMEOUT_MS (30 s).
    expect(slowest).toBeLessThan(1_000 + 1_000 + 5_000);
    for (const { response } of outcomes) {
      expect(response).toMatch(/^HTTP\/1\.1 408 /);
      expect(response).toMatch(/content-type: application\/problem\+json/i);
      expect(response).toMatch(/connection: close/i);
      const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { code: string; status: number };
      expect(body).toMatchObject({ status: 408, code: 'request_timeout' });
    }
    // The service still serves everyone else.
    expect((await fetch(`${service.baseUrl}/healthz`)).status).toBe(200);
  });
});

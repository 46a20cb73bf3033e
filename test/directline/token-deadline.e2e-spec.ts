import { DirectLineStub } from '../support/directline-stub';
import { startDirectLineApp, type DirectLineApp } from '../support/directline-app';

const SECRET = 'stub-directline-secret-deadline';

/**
 * A deadline shorter than one attempt's timeout: the deadline, not the attempt timeout, ends each call. Seconds
 * long all the same (the first call must reach the stub before it passes, on a busy machine too); what must
 * outlast it hangs, or asks for a Retry-After ten times longer.
 */
describe('Direct Line overall deadline', () => {
  let app: DirectLineApp;
  let stub: DirectLineStub;

  beforeAll(async () => {
    app = await startDirectLineApp(SECRET, {
      DIRECTLINE_TIMEOUT_MS: '60000',
      DIRECTLINE_DEADLINE_MS: '3000',
      DIRECTLINE_MAX_RETRIES: '5',
    });
    ({ stub } = app);
  });
  afterEach(() => stub.reset());
  afterAll(() => app?.close());

  const get = (url: string) => app.get(url);

  it.each(['/token', '/token/wss'])(
    'should answer %s with 504 when Direct Line hangs past the deadline',
    async (url) => {
      stub.fail({ kind: 'hang' });
      const response = await get(url);
      expect(response.statusCode).toBe(504);
      expect(response.json().code).toBe('directline_timeout');
      expect(stub.calls).toHaveLength(1);
    },
  );

  it('should not wait for a Retry-After longer than the deadline', async () => {
    stub.fail({ kind: 'status', status: 429, retryAfter: '30' });
    const response = await get('/token');
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('30');
    expect(stub.calls).toHaveLength(1);
  });

  it('should answer 502 rather than 504 when the last attempt failed with a 5xx and no time is left to retry', async () => {
    stub.fail({ kind: 'status', status: 503, retryAfter: '30' });
    const response = await get('/token');
    expect(response.statusCode).toBe(502);
    expect(response.json().code).toBe('directline_unavailable');
    expect(stub.calls).toHaveLength(1);
  });
});

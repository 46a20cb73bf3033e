import { Logger } from '@nestjs/common';
import { loadConfig } from 'src/config/app-config';
import { DirectLineSettings } from 'src/directline/directline.settings';
import { DirectLineErrorCode } from 'src/directline/directline.errors';
import { DirectLineClient } from 'src/directline/directline.client';
import type { DirectLineMetrics } from 'src/directline/directline.metrics';

/** The client's policy (retries, deadline, breaker, error mapping) against a scripted fetch: no network. */
describe('DirectLineClient policy', () => {
  let fetchMock: jest.SpyInstance;
  /** Metrics are observed elsewhere (e2e); here they only have to accept every call. */
  const metrics = new Proxy({}, { get: () => () => undefined }) as DirectLineMetrics;

  const client = (env: Record<string, string> = {}) =>
    new DirectLineClient(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: 'memory://',
        DIRECTLINE_SECRET: 'unit-secret',
        DIRECTLINE_BASE_URL: 'http://directline.unit',
        DIRECTLINE_RETRY_INITIAL_DELAY_MS: '1',
        DIRECTLINE_MAX_RETRIES: '2',
        DIRECTLINE_BREAKER_THRESHOLD: '5',
        ...env,
      }).get(DirectLineSettings),
      metrics,
    );
  const answer = (status: number, body: unknown = {}, headers: Record<string, string> = {}): void => {
    fetchMock.mockResolvedValueOnce(
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } }),
    );
  };
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: { code: string }) => error.code,
    );

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  beforeEach(() => {
    fetchMock = jest.spyOn(globalThis, 'fetch');
  });
  afterEach(() => fetchMock.mockRestore());

  it('should retry a 5xx and return the token of the next attempt', async () => {
    answer(502);
    answer(200, { token: 'tok', expires_in: 1800 });
    await expect(client().generateToken({})).resolves.toMatchObject({ token: 'tok', expires_in: 1800 });
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(fetchMock.mock.calls[0][1]).toMatchObject({ redirect: 'manual', method: 'POST' });
  });

  it('should give up after DIRECTLINE_MAX_RETRIES retries with directline_unavailable', async () => {
    answer(503);
    answer(503);
    answer(503);
    await expect(failureOf(client().generateToken({}))).resolves.toBe(DirectLineErrorCode.Unavailable);
    expect(fetchMock).toHaveBeenCalledTimes(3);
  });

  it('should not retry a refused secret', async () => {
    answer(401);
    await expect(failureOf(client().generateToken({}))).resolves.toBe(DirectLineErrorCode.SecretRejected);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('should not wait for a Retry-After that does not fit in the deadline', async () => {
    answer(429, {}, { 'retry-after': '60' });
    await expect(failureOf(client().generateToken({}))).resolves.toBe(DirectLineErrorCode.Throttled);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('should refuse a body that is not a token', async () => {
    answer(200, { token: '', expires_in: -1 });
    await expect(failureOf(client().generateToken({}))).resolves.toBe(DirectLineErrorCode.BadResponse);
  });

  it('should open the breaker after consecutive faults and then fail fast without calling Direct Line', async () => {
    const breaking = client({ DIRECTLINE_MAX_RETRIES: '0', DIRECTLINE_BREAKER_THRESHOLD: '2' });
    answer(500);
    answer(500);
    await failureOf(breaking.generateToken({}));
    await failureOf(breaking.generateToken({}));
    await expect(failureOf(breaking.startConversation({}))).resolves.toBe(DirectLineErrorCode.CircuitOpen);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('should answer directline_not_configured without a secret, calling nothing', async () => {
    const unconfigured = new DirectLineClient(
      loadConfig({ NODE_ENV: 'test', DATA_DIR: 'memory://' }).get(DirectLineSettings),
      metrics,
    );
    await expect(failureOf(unconfigured.generateToken({}))).resolves.toBe(DirectLineErrorCode.NotConfigured);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

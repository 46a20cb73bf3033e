import { networkInterfaces } from 'node:os';
import { onFreePort, startService } from '../support/built-service';
import { freshDatabase, TEST_ENV, type TestDatabase } from '../support/test-app';

const hasIpv6Loopback = Object.values(networkInterfaces())
  .flat()
  .some((address) => address?.address === '::1');

/** The start-up log of the production build: each listener announced once, its address readable. */
describe('listen announcements (production build)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase({ persistent: true });
  });
  afterAll(() => database.drop());

  function listeningLines(output: string): { message: string; url?: string }[] {
    return output
      .split('\n')
      .filter((line) => line.includes('listening at'))
      .map((line) => JSON.parse(line) as { message: string; url?: string });
  }

  it('should announce the API and the metrics listener once each, with address and port (IPv4)', async () => {
    // METRICS_PORT takes no 0: a free port, and another one if something took it first.
    const { service, metricsPort } = await onFreePort(async (metricsPort) => ({
      metricsPort,
      service: await startService({ ...TEST_ENV, ...database.env, HOST: '0.0.0.0', METRICS_PORT: String(metricsPort) }),
    }));
    try {
      const port = new URL(service.baseUrl).port;
      expect(listeningLines(service.output())).toEqual([
        expect.objectContaining({ message: `Metrics listening at http://0.0.0.0:${metricsPort}` }),
        expect.objectContaining({ message: `Server listening at http://0.0.0.0:${port}` }),
      ]);
      expect(service.output()).not.toMatch(/listening at http:\/\/\[redacted\]/);
    } finally {
      service.process.kill('SIGTERM');
      await service.exited;
    }
  });

  (hasIpv6Loopback ? it : it.skip)('should announce an IPv6 listener once, in brackets', async () => {
    const service = await startService({ ...TEST_ENV, ...database.env, HOST: '::1' });
    try {
      const port = new URL(service.baseUrl).port;
      expect(listeningLines(service.output())).toEqual([
        expect.objectContaining({ message: `Server listening at http://[::1]:${port}`, url: `http://[::1]:${port}` }),
      ]);
    } finally {
      service.process.kill('SIGTERM');
      await service.exited;
    }
  });
});

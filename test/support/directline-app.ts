import type { Response as InjectResponse } from 'light-my-request';
import { Tier } from 'src/auth/tier';
import { DirectLineStub } from './directline-stub';
import { apiKeyHeader, createTestApp, type TestApp } from './test-app';

export interface DirectLineApp {
  stub: DirectLineStub;
  t: TestApp;
  /** GET with a valid public key. */
  get(url: string): Promise<InjectResponse>;
  close(): Promise<void>;
}

/** The service pointed at a Direct Line stub that checks `secret`, with a public key to call it. */
export async function startDirectLineApp(secret: string, env: Record<string, string>): Promise<DirectLineApp> {
  const stub = await DirectLineStub.start({ secret });
  const t = await createTestApp({ DIRECTLINE_SECRET: secret, DIRECTLINE_BASE_URL: stub.url, ...env });
  const headers = apiKeyHeader((await t.createKey(Tier.Public)).key);
  return {
    stub,
    t,
    get: (url) => t.request({ method: 'GET', url, headers }),
    close: async () => {
      try {
        await t.close();
      } finally {
        await stub.close();
      }
    },
  };
}

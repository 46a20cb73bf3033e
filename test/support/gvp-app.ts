import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import type { Response as InjectResponse } from 'light-my-request';
import { Tier } from 'src/auth/tier';
import { DirectLineStub } from './directline-stub';
import { KernelStub, type KernelSubscriber } from './kernel-stub';
import { createTestApp, type TestApp } from './test-app';

export const GVP_ISSUER = 'https://gvp.example.test/auth';
export const GVP_AUDIENCE = 'aura-authentication-api';
export const KERNEL_CLIENT_ID = 'aura-tv-client';

/** A GVP signing key made for the test: its private half signs device tokens, its public JWK is published. */
export interface GvpKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: KeyLike;
  publicJwk: JWK;
}

export async function gvpKey(
  alg: 'ES256' | 'RS256',
  kid = `gvp-${alg.toLowerCase()}-${randomUUID()}`,
): Promise<GvpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A device token as GVP issues it; `claims` and `options` change what a test is about. */
export async function deviceToken(
  key: GvpKey,
  claims: JWTPayload & Record<string, unknown>,
  options: { expiresIn?: string | number; issuer?: string; audience?: string; kid?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? GVP_ISSUER)
    .setAudience(options.audience ?? GVP_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(key.privateKey);
}

export interface GvpApp {
  t: TestApp;
  kernel: KernelStub;
  directLine: DirectLineStub;
  keys: GvpKey[];
  /** Base URL of the service listening on a real port (the Kernel stub fetches its JWKS from there). */
  serviceUrl: string;
  kernelSecret: string;
  publicKey: string;
  /** GET as a device sends it: the device token (in the URL or the headers given) is its only credential. */
  get(url: string, headers?: Record<string, string>): Promise<InjectResponse>;
  close(): Promise<void>;
}

/**
 * The service with GVP sign-in configured: device tokens verified with test keys (inline GVP_JWKS unless
 * `env` says otherwise), Kernel and Direct Line stubs, and a public key. The service listens on a free port so
 * that the Kernel stub verifies assertions with the JWKS it fetches over HTTP.
 */
export async function startGvpApp(
  subscribers: Record<string, KernelSubscriber>,
  env: Record<string, string> = {},
  keys?: GvpKey[],
): Promise<GvpApp> {
  const gvpKeys = keys ?? [await gvpKey('ES256'), await gvpKey('RS256')];
  const kernelSecret = randomBytes(24).toString('base64url');
  const directLineSecret = randomBytes(24).toString('base64url');
  const kernel = await KernelStub.start({ clientId: KERNEL_CLIENT_ID, clientSecret: kernelSecret, subscribers });
  const directLine = await DirectLineStub.start({ secret: directLineSecret });
  const t = await createTestApp({
    DIRECTLINE_SECRET: directLineSecret,
    DIRECTLINE_BASE_URL: directLine.url,
    GVP_JWKS: JSON.stringify({ keys: gvpKeys.map((key) => key.publicJwk) }),
    GVP_ISSUER,
    GVP_AUDIENCE,
    KERNEL_TOKEN_URL: kernel.tokenUrl,
    KERNEL_USERPROFILE_URL: kernel.userProfileUrl,
    KERNEL_CLIENT_ID,
    KERNEL_CLIENT_SECRET: kernelSecret,
    KERNEL_SCOPES: 'userprofile-read',
    // Seconds, not a few hundred ms: a stub answer delayed by a busy machine must not time out and be retried
    // (each retry is one more Kernel call). Tests of the deadline make Kernel hang, whatever these are.
    KERNEL_TIMEOUT_MS: '5000',
    KERNEL_DEADLINE_MS: '8000',
    KERNEL_MAX_RETRIES: '2',
    KERNEL_RETRY_INITIAL_DELAY_MS: '5',
    KERNEL_BREAKER_THRESHOLD: '1000',
    // Bursts of sign-ins queue for the pool: a busy machine must not turn that wait into 503s.
    DATABASE_CONNECT_TIMEOUT_MS: '15000',
    // Suites drive Kernel's answers for one subscriber through faults (unknown_subscriber, invalid_grant…), and
    // sign one device in many times: the 321 memory and the first-sign-in limit are tested where they are
    // switched on (gvp-config.e2e-spec.ts).
    GVP_UNKNOWN_SUBSCRIBER_TTL_SECONDS: '0',
    GVP_FIRST_SIGN_IN_LIMIT: '100000',
    ...env,
  });
  await t.app.listen(0, '127.0.0.1');
  const address = t.app.getHttpServer().address() as AddressInfo;
  const serviceUrl = `http://127.0.0.1:${address.port}`;
  kernel.useJwks(`${serviceUrl}/openid/jwk`);
  const publicKey = (await t.createKey(Tier.Public)).key;
  return {
    t,
    kernel,
    directLine,
    keys: gvpKeys,
    serviceUrl,
    kernelSecret,
    publicKey,
    get: (url, headers = {}) => t.request({ method: 'GET', url, headers }),
    close: async () => {
      try {
        await t.close();
      } finally {
        await Promise.all([kernel.close(), directLine.close()]);
      }
    },
  };
}

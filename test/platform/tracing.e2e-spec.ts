import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeysService } from 'src/api-keys/api-keys.service';
import { Tier } from 'src/auth/tier';
import { createCliContext } from 'src/cli/cli-context';
import { startService, type RunningService } from '../support/built-service';
import { DIRECTLINE_STUB_PATHS, DirectLineStub } from '../support/directline-stub';
import { deviceToken, GVP_AUDIENCE, GVP_ISSUER, gvpKey, KERNEL_CLIENT_ID, type GvpKey } from '../support/gvp-app';
import { KERNEL_STUB_PATHS, KernelStub } from '../support/kernel-stub';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { TEST_DATABASE_URL } from '../support/postgres';
import { freshDatabase, TEST_ENV, testConfig, type TestDatabase } from '../support/test-app';

const SECRET = 'directline-secret-for-tracing';
const KERNEL_SECRET = 'kernel-client-secret-for-tracing';
const SUBSCRIBER = 'subscriber-traced-7d41c2aa';
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

/** Polls until `found` returns something, up to `withinMs`; what it found, or undefined. */
async function eventually<T>(found: () => T | undefined, withinMs: number): Promise<T | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = found();
    if (value !== undefined || Date.now() > deadline) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Tracing in the production build (instrumentation must load before what it instruments, so the service runs as a
 * process), exporting to a real OTLP/HTTP receiver, with Direct Line a real local stub. The database spans come from
 * the `pg` driver: they are checked on PostgreSQL (TEST_DATABASE_URL, as CI runs), not on the embedded PGlite.
 */
describe('tracing (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  jest.setTimeout(300_000);
  let receiver: OtlpReceiver;
  let stub: DirectLineStub;
  let database: TestDatabase;
  let service: RunningService;
  let key: string;
  let kernel: KernelStub;
  let gvp: GvpKey;
  /** GVP's JWKS, served over HTTP as GVP does, with the traceparent of each fetch. */
  let jwks: Server;
  const jwksFetches: (string | undefined)[] = [];

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    stub = await DirectLineStub.start({ secret: SECRET });
    kernel = await KernelStub.start({
      clientId: KERNEL_CLIENT_ID,
      clientSecret: KERNEL_SECRET,
      subscribers: { [SUBSCRIBER]: { id: SUBSCRIBER } },
    });
    gvp = await gvpKey('ES256');
    jwks = createServer((request, response) => {
      const traceparent = request.headers.traceparent;
      jwksFetches.push(typeof traceparent === 'string' ? traceparent : undefined);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [gvp.publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    database = await freshDatabase({ persistent: true });
    const env = {
      ...TEST_ENV,
      ...database.env,
      DIRECTLINE_SECRET: SECRET,
      DIRECTLINE_BASE_URL: stub.url,
      GVP_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
      GVP_ISSUER,
      GVP_AUDIENCE,
      KERNEL_TOKEN_URL: kernel.tokenUrl,
      KERNEL_USERPROFILE_URL: kernel.userProfileUrl,
      KERNEL_CLIENT_ID,
      KERNEL_CLIENT_SECRET: KERNEL_SECRET,
      KERNEL_SCOPES: 'userprofile-read',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Export every 100 ms rather than every 5 s: the test waits for spans, bounded below.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    // The key is made before the service starts: the embedded database is one process's at a time.
    const context = await createCliContext(testConfig(database, env));
    try {
      key = (await context.get(ApiKeysService).create({ name: 'tracing', tier: Tier.Public })).key;
    } finally {
      await context.close();
    }
    service = await startService(env);
    kernel.useJwks(`${service.baseUrl}/openid/jwk`);
  });

  afterAll(async () => {
    if (service !== undefined && service.process.exitCode === null) {
      service.process.kill('SIGKILL');
      await service.exited;
    }
    await stub?.close();
    await kernel?.close();
    jwks?.closeAllConnections();
    await new Promise((resolve) => (jwks === undefined ? resolve(undefined) : jwks.close(resolve)));
    await receiver?.close();
    await database?.drop();
  });

  it("should carry the caller's trace to GVP's JWKS and to Kernel on a GVP sign-in", async () => {
    const traceId = randomBytes(16).toString('hex');
    const token = await deviceToken(gvp, { sub: SUBSCRIBER, deviceId: `stb-${randomBytes(6).toString('hex')}` });
    const response = await fetch(`${service.baseUrl}/gvp/aura-id`, {
      headers: { 'x-gvp-token': token, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(response.status).toBe(200);
    const sameTrace = new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`);
    // The device token's keys were fetched within the request (the first verification), on its trace.
    expect(jwksFetches).toEqual([expect.stringMatching(sameTrace)]);
    const kernelCalls = [...kernel.callsTo(KERNEL_STUB_PATHS.token), ...kernel.callsTo(KERNEL_STUB_PATHS.userProfile)];
    expect(kernelCalls).toHaveLength(2);
    for (const call of kernelCalls) {
      expect(call.traceparent).toMatch(sameTrace);
    }
    const server = await eventually(
      () =>
        receiver
          .trace(traceId)
          .find((span) => span.kind === SPAN_KIND_SERVER && span.attributes['http.route'] === '/gvp/aura-id'),
      60_000,
    );
    expect(server?.name).toBe('GET /gvp/aura-id');
  });

  it("should trace GET /token under the caller's traceparent: the route, the database, Direct Line, and the log line", async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const response = await fetch(`${service.baseUrl}/token`, {
      headers: { 'x-api-key': key, traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(response.status).toBe(200);

    // Direct Line received the same trace, from a span of this service (not the caller's own span).
    const [call] = stub.callsTo(DIRECTLINE_STUB_PATHS.generateToken);
    expect(call.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const directLineParent = call.traceparent?.split('-')[2];
    expect(directLineParent).not.toBe(callerSpanId);

    const expected = (spans: ReceivedSpan[]) => {
      const server = spans.find((span) => span.kind === SPAN_KIND_SERVER && span.attributes['http.route'] === '/token');
      const directLine = spans.find(
        (span) => span.kind === SPAN_KIND_CLIENT && String(span.attributes['url.full']).startsWith(stub.url),
      );
      const database = spans.filter(
        (span) => (span.attributes['db.system.name'] ?? span.attributes['db.system']) === 'postgresql',
      );
      const complete = server !== undefined && directLine !== undefined && (!TEST_DATABASE_URL || database.length > 0);
      return complete ? { server, directLine, database } : undefined;
    };
    const found = await eventually(() => expected(receiver.trace(traceId)), 60_000);
    if (found === undefined) {
      throw new Error(
        `spans of trace ${traceId} missing: received ${JSON.stringify(receiver.trace(traceId), null, 1)}; ` +
          `rejected ${JSON.stringify(receiver.rejected)}`,
      );
    }
    const spans = receiver.trace(traceId);
    const { server, directLine, database } = found;

    // The route's server span is the child of the caller's span, named after the route template.
    expect(server.parentSpanId).toBe(callerSpanId);
    expect(server.name).toBe('GET /token');
    expect(server.service).toBe('aura-authentication-api');
    expect(server.attributes['http.response.status_code']).toBe(200);
    // The path and the query are never recorded (they carry auraIds, phone numbers, keys, sealed values).
    expect(server.attributes['url.path']).toBe('[redacted]');
    // Fastify's request span carries the route too.
    expect(spans.some((span) => span.scope === '@fastify/otel' && span.attributes['http.route'] === '/token')).toBe(
      true,
    );
    // The Direct Line call is the span whose id Direct Line received, within the request's span tree.
    expect(directLine.spanId).toBe(directLineParent);
    const ids = new Set(spans.map((span) => span.spanId));
    expect(ids.has(directLine.parentSpanId ?? '')).toBe(true);
    if (TEST_DATABASE_URL) {
      expect(database.every((span) => ids.has(span.parentSpanId ?? ''))).toBe(true);
      // Statements are recorded without their values.
      expect(
        database.some((span) =>
          String(span.attributes['db.query.text'] ?? span.attributes['db.statement']).includes('$1'),
        ),
      ).toBe(true);
    } else {
      console.log('tracing: database spans not checked (embedded PGlite is not the pg driver; set TEST_DATABASE_URL)');
    }
    // Nothing secret in any attribute.
    expect(JSON.stringify(spans)).not.toContain(key);
    expect(JSON.stringify(spans)).not.toContain(SECRET);

    // Probes are not traced.
    expect((await fetch(`${service.baseUrl}/healthz`)).status).toBe(200);

    // The access-log line names the trace; log lines go out in batches, all of them at shutdown.
    service.process.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const lines = service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = lines.find((line) => line.message === 'request completed' && line.route === '/token');
    expect(access).toMatchObject({ route: '/token', status: 200, traceId });
    expect(receiver.spans.some((span) => span.attributes['http.route'] === '/healthz')).toBe(false);
  });
});

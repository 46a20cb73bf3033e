import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from 'src/app.module';
import { ConnectionDrain } from 'src/common/http/connection-drain';
import { trustedHops } from 'src/common/http/client-address';
import { answerClientError } from 'src/common/http/client-errors';
import { useBoundedJsonParser } from 'src/common/http/json-body';
import { listenerUrl } from 'src/common/http/listener-url';
import { sendProblem } from 'src/common/http/problem.filter';
import { isDocsPage, securityHeaders } from 'src/common/http/security-headers';
import { createLogger, NestPinoLogger } from 'src/common/logging/logger';
import { RequestLogger } from 'src/common/logging/request-logger';
import { callerTier, HttpMetrics } from 'src/common/metrics/http-metrics';
import { AppConfig, loadConfig } from 'src/config/app-config';
import { ServerSettings } from 'src/config/server.settings';
import { setupSwagger } from 'src/swagger';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { sessionCors } from 'src/sessions/session-cors';
import { SessionsSettings } from 'src/sessions/sessions.settings';

/**
 * A caller's request id is kept only when it is a UUID or a ULID: ids of those shapes are generated, never
 * typed, so they do not carry a phone number (or other personal data) into logs and audit rows. Those shapes
 * still have room for a number (a UUID's last group holds 12 digits), so an id with a run of 8 or more digits
 * — a national number of most countries — is not kept either (about one random UUID in eight). Anything else
 * gets a new id.
 */
const REQUEST_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-7][0-9a-hjkmnp-tv-z]{25})$/i;
const DIGIT_RUN = /\d{8}/;

export interface CreateAppOptions {
  config?: AppConfig;
  /** Where log lines go (stdout by default); tests capture them. */
  logDestination?: DestinationStream;
}

/** Creates the application exactly as production runs it; e2e tests call this too. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const appConfig = options.config ?? loadConfig();
  const config = appConfig.get(ServerSettings);
  const logger = createLogger(config.LOG_LEVEL, options.logDestination);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new RequestLogger(),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: trustedHops(config.TRUST_PROXY_HOPS),
    // A request must arrive whole within HTTP_REQUEST_TIMEOUT_MS (checked every second, not Node's 30 s).
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: config.HTTP_CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: { headersTimeout: config.HTTP_REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 },
    clientErrorHandler: answerClientError,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) && !DIGIT_RUN.test(incoming)
        ? incoming
        : randomUUID();
    },
    routerOptions: { maxParamLength: 512 },
    // The app has no Nest middleware: @fastify/middie's request hook would run on every request for nothing.
    skipMiddie: true,
    // The shutdown drain serves every request that reaches the process (ConnectionDrain); Fastify's own
    // 503 body would refuse the ones arriving on open connections once close() starts.
    return503OnClosing: false,
    // The router refuses a malformed URL or an over-long path segment before any hook or filter runs.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, error),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(appConfig), adapter, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
    // JSON is the only body this API reads: Fastify's own parser, with BODY_LIMIT_BYTES. Nest's parsers would
    // add form bodies; Fastify's text/plain parser goes too (configureApp), so other types get 415.
    bodyParser: false,
  });
  configureApp(app);
  return app;
}

/**
 * Everything that makes the app behave as the service at the HTTP level: parsers, hooks, headers, OpenAPI.
 * Guards, pipes and filters are registered in app.module.ts.
 */
export function configureApp(app: NestFastifyApplication): void {
  const metrics = app.get(HttpMetrics);
  const fastify = app.getHttpAdapter().getInstance();
  const headers = securityHeaders();

  // Browser sessions: cookies, and CORS with credentials for the listed origins (docs/sessions.md). Cookies
  // are parsed on demand (readCookie), not by a hook on every request.
  void app.register(fastifyCookie, { hook: false });
  const cors = sessionCors(app.get(SessionsSettings).corsAllowedOrigins(app.get(CallbacksSettings)));
  if (cors !== undefined) {
    app.enableCors(cors);
  }
  fastify.removeContentTypeParser('text/plain');
  useBoundedJsonParser(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(isDocsPage(request.url) ? headers.docs : headers.api).header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL, keeps label cardinality bounded.
    metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      callerTier((request as { user?: unknown }).user),
      reply.elapsedTime / 1000,
    );
    done();
  });

  setupSwagger(app);
}

/** Listens on HOST:PORT and announces the listener once, with the address it is bound to. */
export async function listen(app: NestFastifyApplication): Promise<void> {
  const config = app.get(ServerSettings);
  await app.listen({ port: config.PORT, host: config.HOST });
  const url = listenerUrl(app.getHttpServer());
  const log = app.getHttpAdapter().getInstance().log;
  log.info({ listener: 'api', url }, `Server listening at ${url}`);
  // Log lines are written in 4 KiB batches; the one an operator waits for at start goes out at once.
  (log as { flush?: () => void }).flush?.();
  // A parent that started the service with an IPC channel (the tests, with PORT=0) learns the bound address,
  // whatever LOG_LEVEL says. Without a channel (production) there is no process.send.
  process.send?.({ listening: url });
}

/**
 * SIGTERM/SIGINT: stop accepting connections, serve what arrives on the open ones (with
 * `Connection: close`) and let in-flight requests finish, then run the shutdown hooks (the pool
 * closes last), export the spans still buffered when tracing is on, and exit 0. If draining takes longer than
 * SHUTDOWN_TIMEOUT_MS the process exits 1.
 */
export function handleShutdownSignals(app: NestFastifyApplication, tracing?: { shutdown(): Promise<void> }): void {
  const config = app.get(ServerSettings);
  const logger = app.getHttpAdapter().getInstance().log;
  const drain = new ConnectionDrain(app.getHttpServer());
  let started = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (started) {
      return;
    }
    started = true;
    logger.info({ signal, drainMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down: draining in-flight requests');
    setTimeout(() => {
      logger.error('shutdown: drain timeout exceeded, exiting with requests still open');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    await drain.drain();
    await app.close();
    await tracing?.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'could not export the last spans'));
    logger.info('shutdown complete');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      shutdown(signal).catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
    });
  }
}

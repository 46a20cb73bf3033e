import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from 'src/app.module';
import { trustedHops } from 'src/common/http/client-address';
import { answerClientError } from 'src/common/http/client-errors';
import { useBoundedJsonParser } from 'src/common/http/json-body';
import { sendProblem } from 'src/common/http/problem.filter';
import { securityHeaders } from 'src/common/http/security-headers';
import { createLogger, NestPinoLogger } from 'src/common/logging/logger';
import { RequestLogger } from 'src/common/logging/request-logger';
import { HttpMetrics } from 'src/common/metrics/http-metrics';
import { AppConfig, loadConfig } from 'src/config/app-config';
import { setupSwagger } from 'src/swagger';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface CreateAppOptions {
  config?: AppConfig;
  /** Where log lines go (stdout by default); tests capture them. */
  logDestination?: DestinationStream;
}

/** Creates the application exactly as production runs it; e2e tests call this too. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const config = options.config ?? loadConfig();
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
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
    // The router refuses a malformed URL or an over-long path segment before any hook or filter runs.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, error),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), adapter, {
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

  fastify.removeContentTypeParser('text/plain');
  useBoundedJsonParser(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers).header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL, keeps label cardinality bounded.
    metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  setupSwagger(app);
}

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the pool, exit 0.
 * If draining takes longer than SHUTDOWN_TIMEOUT_MS the process exits 1 anyway.
 */
export function handleShutdownSignals(app: NestFastifyApplication): void {
  const config = app.get(AppConfig);
  const logger = app.getHttpAdapter().getInstance().log;
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal, drainMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down: draining in-flight requests');
      setTimeout(() => {
        logger.error('shutdown: drain timeout exceeded, exiting with requests still open');
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS).unref();
    });
  }
}

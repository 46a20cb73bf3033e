import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { traceIdOf } from 'src/common/logging/trace-id';

/** Probes and scrapes are frequent and uninteresting: they are measured but not request-logged. */
const UNLOGGED_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

function routeOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? 'unmatched';
}

/**
 * Fastify's per-request log lines, rewritten to name the route template and never the URL,
 * headers or query: paths and query strings carry phone numbers, API keys and sealed payloads.
 * One line per request, at completion; with tracing on, it names the request's trace (`traceId`).
 */
export class RequestLogger extends LogController {
  constructor() {
    super({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: (request) => UNLOGGED_ROUTES.has(routeOf(request)),
    });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) {
      return;
    }
    const traceId = traceIdOf(request);
    const entry = {
      method: request.method,
      route: routeOf(request),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      // Only with tracing on (OTEL_EXPORTER_OTLP_ENDPOINT): the trace the request belongs to.
      ...(traceId === undefined ? {} : { traceId }),
    };
    if (error) {
      reply.log.warn({ ...entry, err: error }, 'request errored');
    } else {
      reply.log.info(entry, 'request completed');
    }
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info({ method: request.method }, 'route not found');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    reply.log[reply.statusCode >= 500 ? 'error' : 'info']({ route: routeOf(request), err: error }, 'request failed');
  }

  override writeHeadError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn({ route: routeOf(request), err: error }, 'could not write response headers');
  }
}

import type { IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { setTraceIdReader } from 'src/common/logging/trace-id';

/**
 * OpenTelemetry traces, on when OTEL_EXPORTER_OTLP_ENDPOINT is set (main.ts loads this module only then, before any
 * module it instruments). What is traced:
 * - each incoming request: the HTTP server span (named after the route template) and Fastify's request span; the
 *   caller's W3C `traceparent` is its parent;
 * - PostgreSQL statements and pool connections of a traced request (`pg`; the embedded PGlite is not traced);
 * - outgoing calls, with `traceparent` propagated: Direct Line and Kernel (fetch, i.e. undici) and the GVP JWKS
 *   (node:https).
 * Probes and scrapes (/healthz, /readyz, /metrics) are not traced. Paths and query strings carry auraIds, phone
 * numbers, API keys and sealed callback values: spans record the route template, never the path or the query.
 * Spans go to `${OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` as OTLP/HTTP JSON, in batches (the OTEL_BSP_* variables);
 * sampling follows the caller's decision (OTEL_TRACES_SAMPLER, default parentbased_always_on). No OpenTelemetry
 * metrics or logs are exported: metrics are Prometheus', logs stdout's.
 */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const REDACTED = '[redacted]';
const TRACE_ID = Symbol('traceId');

export interface Tracing {
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

function pathOf(url: string | undefined): string {
  const query = url?.indexOf('?') ?? -1;
  return url === undefined ? '' : query < 0 ? url : url.slice(0, query);
}

export function startTracing(): Tracing {
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'aura-authentication-api',
    traceExporter: new OTLPTraceExporter(),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(pathOf(request.url)),
        // Attributes of the server span, replacing the path and the query that the instrumentation records.
        startIncomingSpanHook: (request: IncomingMessage) => ({
          'url.path': REDACTED,
          ...(request.url?.includes('?') ? { 'url.query': REDACTED } : {}),
        }),
        // Outgoing calls of the service are traced only within a request (not the exporter's, not background work).
        requireParentforOutgoingSpans: true,
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        // One span for the request, with its route (which also names the server span): a span per hook (Nest adds
        // several) or for the handler costs more than it tells.
        instrumentHooks: false,
        instrumentHandler: false,
        // Error messages stay in the logs, where they are scrubbed; a span keeps the status.
        recordExceptions: false,
        ignorePaths: (route) => UNTRACED_PATHS.has(pathOf(route.url)),
        requestHook: (span: Span, request: FastifyRequest) => {
          span.setAttribute('url.path', request.routeOptions.url ?? REDACTED);
          (request as unknown as Record<symbol, string>)[TRACE_ID] = span.spanContext().traceId;
        },
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  setTraceIdReader((request) => (request as Record<symbol, string | undefined>)[TRACE_ID]);
  return { shutdown: () => sdk.shutdown() };
}

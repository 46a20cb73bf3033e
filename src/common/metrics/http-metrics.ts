import { Injectable } from '@nestjs/common';
import { InjectMetric, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';

export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';

export const httpRequestDurationProvider = makeHistogramProvider({
  name: HTTP_REQUEST_DURATION,
  help: "HTTP request duration by method, route template, status and caller (an API key's tier, session, device, or none).",
  labelNames: ['method', 'route', 'status', 'tier'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

type Labels = 'method' | 'route' | 'status' | 'tier';
type Series = ReturnType<Histogram<Labels>['labels']>;

/**
 * Who called, for the `tier` label: an API key's tier, `session`, `device`, or `none` (a keyless route, or a request
 * refused before a caller was established). Read from `request.user` as the boundary set it.
 */
export function callerTier(user: unknown): string {
  if (typeof user !== 'object' || user === null) {
    return 'none';
  }
  const { kind, tier } = user as { kind?: unknown; tier?: unknown };
  return typeof tier === 'string' ? tier : typeof kind === 'string' ? kind : 'none';
}

@Injectable()
export class HttpMetrics {
  /** One series per method, route and status, looked up once: observing is on every request's path. */
  private readonly series = new Map<string, Series>();

  constructor(@InjectMetric(HTTP_REQUEST_DURATION) private readonly duration: Histogram<Labels>) {}

  /** `route` is the route template (`/users/:auraId`), never the raw URL, so label cardinality stays bounded. */
  observe(method: string, route: string, status: number, tier: string, seconds: number): void {
    const key = `${method} ${status} ${tier} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.duration.labels(method, route, String(status), tier);
      this.series.set(key, series);
    }
    series.observe(seconds);
  }
}

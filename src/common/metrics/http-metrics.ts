import { Injectable } from '@nestjs/common';
import { InjectMetric, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';

export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';

export const httpRequestDurationProvider = makeHistogramProvider({
  name: HTTP_REQUEST_DURATION,
  help: 'HTTP request duration by method, route template and status.',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

type Series = ReturnType<Histogram<'method' | 'route' | 'status'>['labels']>;

@Injectable()
export class HttpMetrics {
  /** One series per method, route and status, looked up once: observing is on every request's path. */
  private readonly series = new Map<string, Series>();

  constructor(
    @InjectMetric(HTTP_REQUEST_DURATION) private readonly duration: Histogram<'method' | 'route' | 'status'>,
  ) {}

  /** `route` is the route template (`/users/:auraId`), never the raw URL, so label cardinality stays bounded. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.duration.labels(method, route, String(status));
      this.series.set(key, series);
    }
    series.observe(seconds);
  }
}

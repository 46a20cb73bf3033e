import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { UpstreamMetrics, upstreamMetricNames, upstreamMetricProviders } from 'src/common/http/upstream-metrics';

export const DIRECTLINE_METRICS = upstreamMetricNames('directline');

/** The Direct Line calls this service makes. */
export type DirectLineOperation = 'generate_token' | 'start_conversation';

export const directLineMetricProviders = upstreamMetricProviders('directline', 'Direct Line', { countErrors: true });

@Injectable()
export class DirectLineMetrics extends UpstreamMetrics<DirectLineOperation> {
  constructor(
    @InjectMetric(DIRECTLINE_METRICS.duration) duration: Histogram<'operation' | 'outcome'>,
    @InjectMetric(DIRECTLINE_METRICS.errors) errors: Counter<'operation' | 'kind'>,
    @InjectMetric(DIRECTLINE_METRICS.circuit) circuit: Gauge<'state'>,
  ) {
    super(duration, circuit, errors);
  }
}

import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge, Histogram } from 'prom-client';
import { UpstreamMetrics, upstreamMetricNames, upstreamMetricProviders } from 'src/common/http/upstream-metrics';

export const KERNEL_METRICS = upstreamMetricNames('kernel');

/** The Kernel calls this service makes. */
export type KernelOperation = 'token' | 'userprofile';

/** No errors counter: a call refused by the open breaker is a zero-length attempt with outcome `circuit_open`. */
export const kernelMetricProviders = upstreamMetricProviders('kernel', 'Kernel', { countErrors: false });

@Injectable()
export class KernelMetrics extends UpstreamMetrics<KernelOperation> {
  constructor(
    @InjectMetric(KERNEL_METRICS.duration) duration: Histogram<'operation' | 'outcome'>,
    @InjectMetric(KERNEL_METRICS.circuit) circuit: Gauge<'state'>,
  ) {
    super(duration, circuit);
  }
}

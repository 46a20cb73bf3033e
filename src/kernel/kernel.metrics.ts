import { Injectable } from '@nestjs/common';
import { InjectMetric, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { CircuitState } from 'cockatiel';
import type { Gauge, Histogram } from 'prom-client';
import type { KernelFailureKind } from 'src/kernel/kernel-failure';

export const KERNEL_REQUEST_DURATION = 'kernel_request_duration_seconds';
export const KERNEL_CIRCUIT_STATE = 'kernel_circuit_state';

/** The Kernel calls this service makes. */
export type KernelOperation = 'token' | 'userprofile';

export const kernelMetricProviders = [
  makeHistogramProvider({
    name: KERNEL_REQUEST_DURATION,
    help: 'Duration of each Kernel attempt (until the whole body is read), by operation and outcome (ok or failure kind).',
    labelNames: ['operation', 'outcome'],
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  makeGaugeProvider({
    name: KERNEL_CIRCUIT_STATE,
    help: 'Kernel circuit breaker: 1 for its current state (closed, open, half_open, isolated), 0 for the others.',
    labelNames: ['state'],
  }),
];

const STATE_LABELS: ReadonlyArray<[CircuitState, string]> = [
  [CircuitState.Closed, 'closed'],
  [CircuitState.Open, 'open'],
  [CircuitState.HalfOpen, 'half_open'],
  [CircuitState.Isolated, 'isolated'],
];

@Injectable()
export class KernelMetrics {
  constructor(
    @InjectMetric(KERNEL_REQUEST_DURATION) private readonly duration: Histogram<'operation' | 'outcome'>,
    @InjectMetric(KERNEL_CIRCUIT_STATE) private readonly circuit: Gauge<'state'>,
  ) {
    this.circuitState(CircuitState.Closed);
  }

  /** One attempt: its duration, and its failure kind when it failed. */
  attempt(operation: KernelOperation, seconds: number, failure?: KernelFailureKind): void {
    this.duration.labels(operation, failure ?? 'ok').observe(seconds);
  }

  /** A call refused by the open breaker, without trying. */
  circuitOpen(operation: KernelOperation): void {
    this.duration.labels(operation, 'circuit_open').observe(0);
  }

  circuitState(state: CircuitState): void {
    for (const [candidate, label] of STATE_LABELS) {
      this.circuit.labels(label).set(candidate === state ? 1 : 0);
    }
  }
}

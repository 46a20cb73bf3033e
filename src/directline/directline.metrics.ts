import { Injectable } from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import { CircuitState } from 'cockatiel';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { DirectLineFailureKind } from 'src/directline/directline-failure';

export const DIRECTLINE_REQUEST_DURATION = 'directline_request_duration_seconds';
export const DIRECTLINE_ERRORS = 'directline_errors_total';
export const DIRECTLINE_CIRCUIT_STATE = 'directline_circuit_state';

/** The Direct Line calls this service makes. */
export type DirectLineOperation = 'generate_token' | 'start_conversation';

export const directLineMetricProviders = [
  makeHistogramProvider({
    name: DIRECTLINE_REQUEST_DURATION,
    help: 'Duration of each Direct Line attempt (until the whole body is read), by operation and outcome.',
    labelNames: ['operation', 'outcome'],
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  makeCounterProvider({
    name: DIRECTLINE_ERRORS,
    help: 'Failed Direct Line attempts by kind; `circuit_open` counts calls refused without trying.',
    labelNames: ['operation', 'kind'],
  }),
  makeGaugeProvider({
    name: DIRECTLINE_CIRCUIT_STATE,
    help: 'Direct Line circuit breaker: 1 for its current state (closed, open, half_open, isolated), 0 for the others.',
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
export class DirectLineMetrics {
  constructor(
    @InjectMetric(DIRECTLINE_REQUEST_DURATION) private readonly duration: Histogram<'operation' | 'outcome'>,
    @InjectMetric(DIRECTLINE_ERRORS) private readonly errors: Counter<'operation' | 'kind'>,
    @InjectMetric(DIRECTLINE_CIRCUIT_STATE) private readonly circuit: Gauge<'state'>,
  ) {
    this.circuitState(CircuitState.Closed);
  }

  /** One attempt: its duration, and its failure kind when it failed. */
  attempt(operation: DirectLineOperation, seconds: number, failure?: DirectLineFailureKind): void {
    this.duration.labels(operation, failure ?? 'ok').observe(seconds);
    if (failure !== undefined) {
      this.errors.labels(operation, failure).inc();
    }
  }

  /** A call refused by the open circuit breaker, without trying. */
  circuitOpen(operation: DirectLineOperation): void {
    this.errors.labels(operation, 'circuit_open').inc();
  }

  circuitState(state: CircuitState): void {
    for (const [candidate, label] of STATE_LABELS) {
      this.circuit.labels(label).set(candidate === state ? 1 : 0);
    }
  }
}

import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { CircuitState } from 'cockatiel';
import type { Counter, Gauge, Histogram } from 'prom-client';

/** The metric names of one upstream: `<prefix>_request_duration_seconds`, `<prefix>_errors_total`, `<prefix>_circuit_state`. */
export function upstreamMetricNames(prefix: string) {
  return {
    duration: `${prefix}_request_duration_seconds`,
    errors: `${prefix}_errors_total`,
    circuit: `${prefix}_circuit_state`,
  } as const;
}

/**
 * The providers of one upstream's metrics, for its module: attempt durations by operation and outcome, the
 * circuit breaker's state and, with `countErrors`, a counter of failed attempts by kind.
 */
export function upstreamMetricProviders(prefix: string, upstream: string, options: { countErrors: boolean }) {
  const names = upstreamMetricNames(prefix);
  return [
    makeHistogramProvider({
      name: names.duration,
      help: `Duration of each ${upstream} attempt (until the whole body is read), by operation and outcome (ok or failure kind).`,
      labelNames: ['operation', 'outcome'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    ...(options.countErrors
      ? [
          makeCounterProvider({
            name: names.errors,
            help: `Failed ${upstream} attempts by kind; \`circuit_open\` counts calls refused without trying.`,
            labelNames: ['operation', 'kind'],
          }),
        ]
      : []),
    makeGaugeProvider({
      name: names.circuit,
      help: `${upstream} circuit breaker: 1 for its current state (closed, open, half_open, isolated), 0 for the others.`,
      labelNames: ['state'],
    }),
  ];
}

const STATE_LABELS: ReadonlyArray<[CircuitState, string]> = [
  [CircuitState.Closed, 'closed'],
  [CircuitState.Open, 'open'],
  [CircuitState.HalfOpen, 'half_open'],
  [CircuitState.Isolated, 'isolated'],
];

/** What the upstream policy reports: each attempt, each call the open breaker refused, each breaker state. */
export class UpstreamMetrics<Operation extends string> {
  constructor(
    private readonly duration: Histogram<'operation' | 'outcome'>,
    private readonly circuit: Gauge<'state'>,
    /** Failed attempts by kind, when the upstream counts them. */
    private readonly errors?: Counter<'operation' | 'kind'>,
  ) {
    this.circuitState(CircuitState.Closed);
  }

  /** One attempt: its duration, and its failure kind when it failed. */
  attempt(operation: Operation, seconds: number, failure?: string): void {
    this.duration.labels(operation, failure ?? 'ok').observe(seconds);
    if (failure !== undefined) {
      this.errors?.labels(operation, failure).inc();
    }
  }

  /** A call refused by the open breaker, without trying: an error, or a zero-length `circuit_open` attempt. */
  circuitOpen(operation: Operation): void {
    if (this.errors === undefined) {
      this.duration.labels(operation, 'circuit_open').observe(0);
    } else {
      this.errors.labels(operation, 'circuit_open').inc();
    }
  }

  circuitState(state: CircuitState): void {
    for (const [candidate, label] of STATE_LABELS) {
      this.circuit.labels(label).set(candidate === state ? 1 : 0);
    }
  }
}

import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';

export const INVALIDATIONS_RECEIVED = 'invalidations_received_total';
export const INVALIDATION_LISTENER_CONNECTED = 'invalidation_listener_connected';
export const INVALIDATION_DELAY = 'invalidation_apply_delay_seconds';

export const invalidationMetricProviders = [
  makeCounterProvider({
    name: INVALIDATIONS_RECEIVED,
    help: 'Invalidation notifications received on the listening connection, by kind.',
    labelNames: ['kind'],
  }),
  makeGaugeProvider({
    name: INVALIDATION_LISTENER_CONNECTED,
    help: '1 while this replica listens for invalidations; 0 while it relies on the short fallback TTL.',
  }),
  makeHistogramProvider({
    name: INVALIDATION_DELAY,
    help: 'Time from a change being published (inside its transaction) to its invalidation applied on this replica.',
    labelNames: ['kind'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
];

import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

export const AUTH_FAILURES = 'auth_failures_total';
export const authFailuresProvider = makeCounterProvider({
  name: AUTH_FAILURES,
  help: 'Requests refused at the boundary (API key, session, device token) or by a channel check, by reason.',
  labelNames: ['reason'],
});

/** Why a request was refused at the boundary: a metric label only, never in a response. */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'foreign_environment'
  | 'unknown'
  | 'revoked'
  | 'expired'
  | 'tier_forbidden'
  | 'channel_forbidden'
  | 'session_invalid'
  | 'device_invalid';

/**
 * Counts refusals, wherever they are decided: the key verifier and the access guard (api-keys), the
 * object-level channel check (users). A provider of its own so that counting a refusal needs no key machinery.
 */
@Injectable()
export class AuthFailures {
  constructor(@InjectMetric(AUTH_FAILURES) private readonly failures: Counter<'reason'>) {}

  record(reason: AuthFailureReason): void {
    this.failures.labels(reason).inc();
  }
}

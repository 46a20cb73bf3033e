import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

export const SESSION_EVENTS = 'browser_session_events_total';

export const sessionEventsProvider = makeCounterProvider({
  name: SESSION_EVENTS,
  help: 'Browser sessions: opened, refreshes by outcome (rotated, grace, reuse_revoked, refused), logouts, CSRF refusals, unbound logins, swept.',
  labelNames: ['event'],
});

@Injectable()
export class SessionsMetrics {
  constructor(@InjectMetric(SESSION_EVENTS) private readonly events: Counter<'event'>) {}

  opened(): void {
    this.events.labels('opened').inc();
  }

  refreshed(outcome: 'rotated' | 'grace' | 'reuse_revoked' | 'refused'): void {
    this.events.labels(`refresh_${outcome}`).inc();
  }

  loggedOut(): void {
    this.events.labels('logout').inc();
  }

  /** A redirecting login callback opened no session: its `state` did not bind it to the browser. */
  loginUnbound(): void {
    this.events.labels('login_unbound').inc();
  }

  csrfRefused(): void {
    this.events.labels('csrf_refused').inc();
  }

  swept(count: number): void {
    if (count > 0) {
      this.events.labels('swept').inc(count);
    }
  }
}

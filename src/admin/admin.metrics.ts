import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

export const GDPR_ERASURES = 'gdpr_erasures_total';
export const GDPR_ERASED_USERS = 'gdpr_erased_users_total';

export const gdprErasuresProvider = makeCounterProvider({
  name: GDPR_ERASURES,
  help: 'GDPR erasure requests fulfilled (by phone number), including those that found nothing.',
});

export const gdprErasedUsersProvider = makeCounterProvider({
  name: GDPR_ERASED_USERS,
  help: 'User records erased by GDPR erasure requests.',
});

/** No labels on purpose: nothing about the person may reach a metric. */
@Injectable()
export class AdminMetrics {
  constructor(
    @InjectMetric(GDPR_ERASURES) private readonly erasures: Counter,
    @InjectMetric(GDPR_ERASED_USERS) private readonly erasedUsers: Counter,
  ) {}

  erasure(erasedUsers: number): void {
    this.erasures.inc();
    this.erasedUsers.inc(erasedUsers);
  }
}

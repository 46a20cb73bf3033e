import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { UserType } from 'src/users/user.entity';

export const USERS_CREATED = 'aura_users_created_total';
export const USERS_DELETED = 'aura_users_deleted_total';

export const usersCreatedProvider = makeCounterProvider({
  name: USERS_CREATED,
  help: 'Aura user records created, by channel and user type.',
  labelNames: ['channel', 'user_type'],
});

export const usersDeletedProvider = makeCounterProvider({
  name: USERS_DELETED,
  help: 'Aura user records deleted, by reason (logout, callback_logout, expired). GDPR erasures are counted in gdpr_erased_users_total.',
  labelNames: ['reason'],
});

export type UserDeletionReason = 'logout' | 'callback_logout' | 'expired';

/** Channels come from callers: past this many distinct values they are counted as `other`. */
const MAX_CHANNEL_LABELS = 100;

@Injectable()
export class UsersMetrics {
  private readonly channelLabels = new Set<string>();

  constructor(
    @InjectMetric(USERS_CREATED) private readonly created: Counter<'channel' | 'user_type'>,
    @InjectMetric(USERS_DELETED) private readonly deleted: Counter<'reason'>,
  ) {}

  userCreated(channel: string, userType: UserType): void {
    this.created.labels(this.channelLabel(channel), userType).inc();
  }

  usersDeleted(reason: UserDeletionReason, count = 1): void {
    if (count > 0) {
      this.deleted.labels(reason).inc(count);
    }
  }

  private channelLabel(channel: string): string {
    if (this.channelLabels.has(channel)) {
      return channel;
    }
    if (this.channelLabels.size >= MAX_CHANNEL_LABELS) {
      return 'other';
    }
    this.channelLabels.add(channel);
    return channel;
  }
}

import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';
import { UsersMetrics } from 'src/users/users.metrics';
import { UsersRepository } from 'src/users/users.repository';

const BATCH_SIZE = 1000;

/**
 * Data minimisation: every USER_SWEEP_INTERVAL_SECONDS, deletes the records expired for longer than
 * EXPIRED_USER_RETENTION_DAYS, in batches. Every replica sweeps; the batches skip rows another
 * replica has locked, so concurrent sweeps neither wait on each other nor delete a row twice.
 */
@Injectable()
export class UsersSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UsersSweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly users: UsersRepository,
    private readonly metrics: UsersMetrics,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const intervalMs = this.config.USER_SWEEP_INTERVAL_SECONDS * 1000;
    if (intervalMs > 0) {
      this.timer = setInterval(() => void this.sweepLogged(), intervalMs);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stop();
    await this.running?.catch(() => undefined);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One full sweep; returns the records deleted. A sweep already under way is joined, not doubled. */
  sweep(): Promise<number> {
    this.running ??= this.deleteExpired().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deleteExpired(): Promise<number> {
    const retentionDays = this.config.EXPIRED_USER_RETENTION_DAYS;
    let total = 0;
    for (;;) {
      const deleted = await this.users.deleteExpiredBatch(retentionDays, BATCH_SIZE);
      total += deleted;
      this.metrics.usersDeleted('expired', deleted);
      if (deleted < BATCH_SIZE) {
        return total;
      }
    }
  }

  private async sweepLogged(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (deleted > 0) {
        this.logger.log({ message: 'expired users swept', deleted });
      }
    } catch (error) {
      this.logger.warn({ message: 'sweep of expired users failed; the next one retries', err: error });
    }
  }
}

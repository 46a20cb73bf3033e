import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';
import { SessionsMetrics } from 'src/sessions/sessions.metrics';
import { SessionsRepository } from 'src/sessions/sessions.repository';

const BATCH_SIZE = 1000;

/**
 * Every SESSION_SWEEP_INTERVAL_SECONDS, deletes ended sessions (absolute end or idle timeout passed, or
 * revoked longer ago than the refresh grace) in batches; replicas skip each other's locked rows. Sessions
 * of deleted users need no sweep: they go with the user record.
 */
@Injectable()
export class SessionsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionsSweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly metrics: SessionsMetrics,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const intervalMs = this.config.SESSION_SWEEP_INTERVAL_SECONDS * 1000;
    if (intervalMs > 0) {
      this.timer = setInterval(() => void this.sweepLogged(), intervalMs);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One full sweep; returns the sessions deleted. A sweep already under way is joined, not doubled. */
  sweep(): Promise<number> {
    this.running ??= this.deleteEnded().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deleteEnded(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.sessions.deleteEndedBatch(
        this.config.SESSION_IDLE_TIMEOUT_SECONDS,
        this.config.SESSION_REFRESH_GRACE_SECONDS,
        BATCH_SIZE,
      );
      total += deleted;
      this.metrics.swept(deleted);
      if (deleted < BATCH_SIZE) {
        return total;
      }
    }
  }

  private async sweepLogged(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (deleted > 0) {
        this.logger.log({ message: 'ended sessions swept', deleted });
      }
    } catch (error) {
      this.logger.warn({ message: 'sweep of ended sessions failed; the next one retries', err: error });
    }
  }
}

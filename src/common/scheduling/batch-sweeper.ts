import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

const BATCH_SIZE = 1000;

/**
 * A periodic clean-up in batches of BATCH_SIZE rows: every replica sweeps, and each batch skips rows
 * another replica has locked, so concurrent sweeps neither wait on each other nor delete a row twice.
 * A sweep already under way is joined, not doubled; shutdown waits for it.
 */
export abstract class BatchSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(this.constructor.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  /** @param what what is deleted, for the log lines ("expired users"). */
  protected constructor(
    private readonly intervalSeconds: number,
    private readonly what: string,
  ) {}

  /** Deletes at most `limit` rows; returns how many it deleted. */
  protected abstract deleteBatch(limit: number): Promise<number>;

  onApplicationBootstrap(): void {
    if (this.intervalSeconds > 0) {
      this.timer = setInterval(() => void this.sweepLogged(), this.intervalSeconds * 1000);
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

  /** One full sweep; returns the rows deleted. */
  sweep(): Promise<number> {
    this.running ??= this.deleteAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deleteAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.deleteBatch(BATCH_SIZE);
      total += deleted;
      if (deleted < BATCH_SIZE) {
        return total;
      }
    }
  }

  private async sweepLogged(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (deleted > 0) {
        this.logger.log({ message: `${this.what} swept`, deleted });
      }
    } catch (error) {
      this.logger.warn({ message: `sweep of ${this.what} failed; the next one retries`, err: error });
    }
  }
}

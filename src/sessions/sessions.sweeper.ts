import { Injectable } from '@nestjs/common';
import { BatchSweeper } from 'src/common/scheduling/batch-sweeper';
import { SessionsSettings } from 'src/sessions/sessions.settings';
import { SessionsMetrics } from 'src/sessions/sessions.metrics';
import { SessionsRepository } from 'src/sessions/sessions.repository';

/**
 * Every SESSION_SWEEP_INTERVAL_SECONDS, deletes ended sessions (absolute end or idle timeout passed, or
 * revoked longer ago than the refresh grace). Sessions of deleted users need no sweep: they go with the
 * user record.
 */
@Injectable()
export class SessionsSweeper extends BatchSweeper {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly metrics: SessionsMetrics,
    private readonly config: SessionsSettings,
  ) {
    super(config.SESSION_SWEEP_INTERVAL_SECONDS, 'ended sessions');
  }

  protected async deleteBatch(limit: number): Promise<number> {
    const deleted = await this.sessions.deleteEndedBatch(
      this.config.SESSION_IDLE_TIMEOUT_SECONDS,
      this.config.SESSION_REFRESH_GRACE_SECONDS,
      limit,
    );
    this.metrics.swept(deleted);
    return deleted;
  }
}

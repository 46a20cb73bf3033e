import { Injectable } from '@nestjs/common';
import { BatchSweeper } from 'src/common/scheduling/batch-sweeper';
import { UsersSettings } from 'src/users/users.settings';
import { UsersMetrics } from 'src/users/users.metrics';
import { UsersRepository } from 'src/users/users.repository';

/**
 * Data minimisation: every USER_SWEEP_INTERVAL_SECONDS, deletes the records expired for longer than
 * EXPIRED_USER_RETENTION_DAYS.
 */
@Injectable()
export class UsersSweeper extends BatchSweeper {
  constructor(
    private readonly users: UsersRepository,
    private readonly metrics: UsersMetrics,
    private readonly config: UsersSettings,
  ) {
    super(config.USER_SWEEP_INTERVAL_SECONDS, 'expired users');
  }

  protected async deleteBatch(limit: number): Promise<number> {
    const deleted = await this.users.deleteExpiredBatch(this.config.EXPIRED_USER_RETENTION_DAYS, limit);
    this.metrics.usersDeleted('expired', deleted);
    return deleted;
  }
}

import { Injectable } from '@nestjs/common';
import { Database, type Tx } from 'src/database/database';
import { NOTIFY } from 'src/invalidation/invalidation.sql';

@Injectable()
export class InvalidationRepository {
  constructor(private readonly db: Database) {}

  /** Sends the payload on the channel when `tx` commits (and never if it rolls back). */
  async notify(channel: string, payload: string, tx: Tx): Promise<void> {
    await this.db.run(NOTIFY, { channel, payload }, tx);
  }
}

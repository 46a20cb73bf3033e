import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CONSUME, type ConsumedToken, PURGE_EXPIRED } from 'src/callbacks/callbacks.sql';
import { ConsumedCallbackToken } from 'src/callbacks/consumed-callback-token.entity';
import { Database, onTx, type Tx } from 'src/database/database';

export type { ConsumedToken } from 'src/callbacks/callbacks.sql';

/**
 * `consumed_callback_tokens`. The replay check (a conditional insert) and the purge (SKIP LOCKED batches)
 * are statements of callbacks.sql.ts; the erasure goes through TypeORM's repository.
 */
@Injectable()
export class CallbacksRepository {
  constructor(
    @InjectRepository(ConsumedCallbackToken) private readonly tokens: Repository<ConsumedCallbackToken>,
    private readonly db: Database,
  ) {}

  /** Records the token as used; false when some replica already did (a replay). One statement, race-free. */
  async consume(token: ConsumedToken, tx: Tx): Promise<boolean> {
    return (await this.db.one(CONSUME, token, tx)) !== undefined;
  }

  /**
   * GDPR erasure: the consumed tokens of a person (by the keyed hash of their phone number) lose the link to
   * them. The rows stay until their token expires: deleting them would let a captured callback URL of the
   * person be replayed after the erasure, and re-create the record just erased.
   */
  async eraseBySubject(subjectHash: string, tx: Tx): Promise<number> {
    return (await onTx(this.tokens, tx).update({ subjectHash }, { subjectHash: null })).affected ?? 0;
  }

  /** Entries whose token has expired can go: an expired token is refused before the replay check. */
  async purgeExpired(before: Date): Promise<number> {
    return (await this.db.one(PURGE_EXPIRED, { before }))?.count ?? 0;
  }
}

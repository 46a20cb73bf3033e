import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

export interface ConsumedToken {
  jti: string;
  purpose: string;
  subjectHash: string | null;
  expiresAt: Date;
}

@Injectable()
export class CallbacksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Records the token as used; false when some replica already did (a replay). One statement, race-free. */
  async consume(token: ConsumedToken, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO consumed_callback_tokens (jti, purpose, subject_hash, expires_at)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (jti) DO NOTHING
       RETURNING jti`,
      [token.jti, token.purpose, token.subjectHash, token.expiresAt],
    );
    return rows.length === 1;
  }

  /**
   * GDPR erasure: the consumed tokens of a person (by the keyed hash of their phone number) lose the link to
   * them. The rows stay until their token expires: deleting them would let a captured callback URL of the
   * person be replayed after the erasure, and re-create the record just erased.
   */
  async eraseBySubject(subjectHash: string, manager: EntityManager): Promise<number> {
    const [{ count }] = await manager.query<[{ count: number }]>(
      `WITH erased AS (UPDATE consumed_callback_tokens SET subject_hash = NULL WHERE subject_hash = $1 RETURNING 1)
       SELECT count(*)::int AS count FROM erased`,
      [subjectHash],
    );
    return count;
  }

  /** Entries whose token has expired can go: an expired token is refused before the replay check. */
  async purgeExpired(before: Date): Promise<number> {
    // Batched and SKIP LOCKED: several replicas may purge at once without waiting on each other.
    const [{ count }] = await this.dataSource.query<[{ count: number }]>(
      `WITH purged AS (
         DELETE FROM consumed_callback_tokens WHERE jti IN (
           SELECT jti FROM consumed_callback_tokens WHERE expires_at < $1 LIMIT 10000 FOR UPDATE SKIP LOCKED
         ) RETURNING 1
       )
       SELECT count(*)::int AS count FROM purged`,
      [before],
    );
    return count;
  }
}

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { ApiKey } from 'src/api-keys/api-key.entity';
import { type ApiKeyRecord, FIND_BY_SECRET_HASH } from 'src/api-keys/api-keys.sql';
import { Database, onTx, type Tx } from 'src/database/database';

export type { ApiKeyRecord } from 'src/api-keys/api-keys.sql';

/** A key to insert: its creation time is the database's. */
export type NewApiKey = Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `api_keys`. The request path's lookup by secret hash is a prepared statement (api-keys.sql.ts); management
 * (CLI, development keys, the usage flush) goes through TypeORM's repository.
 */
@Injectable()
export class ApiKeysRepository {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly db: Database,
  ) {}

  async insert(key: NewApiKey, tx?: Tx): Promise<void> {
    await onTx(this.keys, tx).insert(key);
  }

  /** The request path's lookup (after the cache): one prepared statement. */
  findBySecretHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    return this.db.one(FIND_BY_SECRET_HASH, { secretHash });
  }

  /**
   * An operator refers to a key by its id or by its public prefix (`aak_<env>_<id>`). Within a transaction
   * the row is locked until it ends.
   */
  async findByReference(reference: string, tx?: Tx): Promise<ApiKeyRecord | undefined> {
    const key = await onTx(this.keys, tx).findOne({
      where: UUID.test(reference) ? { id: reference } : { prefix: reference },
      ...(tx === undefined ? {} : { lock: { mode: 'pessimistic_write' as const } }),
    });
    return key ?? undefined;
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.find({ order: { createdAt: 'ASC' } });
  }

  /** The public ids of all keys, revoked and expired ones included (they are refused later, by their row). */
  async listPrefixes(): Promise<string[]> {
    return (await this.keys.find({ select: { prefix: true } })).map((key) => key.prefix);
  }

  count(): Promise<number> {
    return this.keys.count();
  }

  async revoke(id: string, revokedAt: Date, tx: Tx): Promise<void> {
    await onTx(this.keys, tx).update({ id }, { revokedAt });
  }

  async setExpiry(id: string, expiresAt: Date, tx: Tx): Promise<void> {
    await onTx(this.keys, tx).update({ id }, { expiresAt });
  }

  /** One statement for all keys used since the last flush. */
  async touchLastUsed(ids: string[], at: Date): Promise<void> {
    if (ids.length > 0) {
      await this.keys.update({ id: In(ids) }, { lastUsedAt: at });
    }
  }
}

import { Injectable } from '@nestjs/common';
import {
  type ApiKeyRecord,
  COUNT,
  FIND_BY_REFERENCE,
  FIND_BY_SECRET_HASH,
  INSERT,
  LIST,
  LIST_PREFIXES,
  LOCK_BY_REFERENCE,
  REVOKE,
  SET_EXPIRY,
  TOUCH_LAST_USED,
} from 'src/api-keys/api-keys.sql';
import { Database, type Tx } from 'src/database/database';

export type { ApiKeyRecord } from 'src/api-keys/api-keys.sql';

/** A key to insert: its creation time is the database's. */
export type NewApiKey = Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>;

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Database) {}

  async insert(key: NewApiKey, tx?: Tx): Promise<void> {
    await this.db.run(INSERT, key, tx);
  }

  findBySecretHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    return this.db.one(FIND_BY_SECRET_HASH, { secretHash });
  }

  /**
   * An operator refers to a key by its id or by its public prefix (`aak_<env>_<id>`). Within a transaction
   * the row is locked until it ends.
   */
  findByReference(reference: string, tx?: Tx): Promise<ApiKeyRecord | undefined> {
    return tx === undefined
      ? this.db.one(FIND_BY_REFERENCE, { reference })
      : this.db.one(LOCK_BY_REFERENCE, { reference }, tx);
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.db.run(LIST, undefined);
  }

  /** The public ids of all keys, revoked and expired ones included (they are refused later, by their row). */
  async listPrefixes(): Promise<string[]> {
    return (await this.db.run(LIST_PREFIXES, undefined)).map((row) => row.prefix);
  }

  async count(): Promise<number> {
    return (await this.db.one(COUNT, undefined))?.count ?? 0;
  }

  async revoke(id: string, revokedAt: Date, tx: Tx): Promise<void> {
    await this.db.run(REVOKE, { id, revokedAt }, tx);
  }

  async setExpiry(id: string, expiresAt: Date, tx: Tx): Promise<void> {
    await this.db.run(SET_EXPIRY, { id, expiresAt }, tx);
  }

  /** One statement for all keys used since the last flush. */
  async touchLastUsed(ids: string[], at: Date): Promise<void> {
    await this.db.run(TOUCH_LAST_USED, { ids, at });
  }
}

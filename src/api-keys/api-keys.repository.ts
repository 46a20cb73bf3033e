import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, Repository } from 'typeorm';
import { ApiKey } from 'src/api-keys/api-key.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  async insert(key: ApiKey, manager?: EntityManager): Promise<void> {
    await (manager?.getRepository(ApiKey) ?? this.keys).insert(key);
  }

  findBySecretHash(secretHash: string): Promise<ApiKey | null> {
    return this.keys.findOneBy({ secretHash });
  }

  /**
   * An operator refers to a key by its id or by its public prefix (`aak_<env>_<id>`). Within a transaction
   * (`manager`) the row is locked until it ends.
   */
  findByReference(reference: string, manager?: EntityManager): Promise<ApiKey | null> {
    const where = UUID.test(reference) ? { id: reference } : { prefix: reference };
    return manager === undefined
      ? this.keys.findOneBy(where)
      : manager.getRepository(ApiKey).findOne({ where, lock: { mode: 'pessimistic_write' } });
  }

  list(): Promise<ApiKey[]> {
    return this.keys.find({ order: { createdAt: 'ASC' } });
  }

  /** The public ids of all keys, revoked and expired ones included (they are refused later, by their row). */
  async listPrefixes(): Promise<string[]> {
    const rows = await this.keys.find({ select: { prefix: true } });
    return rows.map((row) => row.prefix);
  }

  count(): Promise<number> {
    return this.keys.count();
  }

  async update(
    id: string,
    changes: Partial<Pick<ApiKey, 'revokedAt' | 'expiresAt'>>,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager?.getRepository(ApiKey) ?? this.keys).update({ id }, changes);
  }

  /** One statement for all keys used since the last flush. */
  async touchLastUsed(ids: string[], at: Date): Promise<void> {
    await this.keys.update({ id: In(ids) }, { lastUsedAt: at });
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.keys.manager.transaction(work);
  }
}

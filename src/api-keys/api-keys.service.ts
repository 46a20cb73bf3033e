import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ApiKey } from 'src/api-keys/api-key.entity';
import { displayPrefix, generateApiKey } from 'src/api-keys/api-key-format';
import { API_KEY_CREATED, API_KEY_INVALIDATION } from 'src/api-keys/api-key-ids';
import { ApiKeyError, ApiKeyErrorCode } from 'src/api-keys/api-keys.errors';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { Tier } from 'src/common/access/tier';
import { AuditAction, AuditService } from 'src/audit/audit.service';
import { AppConfig } from 'src/config/app-config';
import { Invalidations } from 'src/invalidation/invalidations';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface CreateApiKeyCommand {
  name: string;
  tier: Tier;
  channel?: string;
  expiresInDays?: number;
}

/** A key as listed to operators: never its secret or hash. */
export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  tier: Tier;
  channel: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  rotatedFromId: string | null;
}

/** A freshly created key: the only moment its secret exists outside the caller's hands. */
export interface CreatedApiKey {
  id: string;
  key: string;
  name: string;
  tier: Tier;
  channel: string | null;
  expiresAt: Date | null;
}

/** Operator actions on keys (CLI): create, list, revoke, rotate — each audited. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly invalidations: Invalidations,
  ) {}

  create(command: CreateApiKeyCommand): Promise<CreatedApiKey> {
    return this.keys.transaction(async (manager) => {
      const expiresAt =
        command.expiresInDays === undefined ? null : new Date(Date.now() + command.expiresInDays * DAY_MS);
      const created = await this.insertKey(manager, { ...command, expiresAt, rotatedFromId: null });
      await this.audit.record(
        { action: AuditAction.ApiKeyCreated, details: { keyId: created.id, name: created.name, tier: created.tier } },
        manager,
      );
      return created;
    });
  }

  async list(): Promise<ApiKeySummary[]> {
    return (await this.keys.list()).map(toSummary);
  }

  async revoke(reference: string): Promise<ApiKeySummary> {
    const key = await this.find(reference);
    if (key.revokedAt === null) {
      key.revokedAt = new Date();
      await this.keys.transaction(async (manager) => {
        await this.keys.update(key.id, { revokedAt: key.revokedAt }, manager);
        // Every replica drops the key from its cache when this commits (docs/revocation.md).
        await this.invalidations.publish(manager, API_KEY_INVALIDATION, key.prefix);
        await this.audit.record(
          { action: AuditAction.ApiKeyRevoked, details: { keyId: key.id, name: key.name } },
          manager,
        );
      });
    }
    return toSummary(key);
  }

  /** A new key with the same name, tier and channel; the old one keeps working for `graceHours`, then expires. */
  async rotate(reference: string, graceHours: number): Promise<CreatedApiKey> {
    return this.keys.transaction(async (manager) => {
      // Locked: two concurrent rotations of one key must not both create a successor.
      const old = await this.find(reference, manager);
      if (old.revokedAt !== null || (old.expiresAt !== null && old.expiresAt <= new Date())) {
        throw new ApiKeyError(
          ApiKeyErrorCode.NotFound,
          'A revoked or expired key cannot be rotated; create a new one.',
        );
      }
      const graceEnd = new Date(Date.now() + graceHours * HOUR_MS);
      const oldExpiry = old.expiresAt !== null && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      await this.keys.update(old.id, { expiresAt: oldExpiry }, manager);
      await this.invalidations.publish(manager, API_KEY_INVALIDATION, old.prefix);
      const created = await this.insertKey(manager, {
        name: old.name,
        tier: old.tier,
        channel: old.channel ?? undefined,
        expiresAt: old.expiresAt,
        rotatedFromId: old.id,
      });
      await this.audit.record(
        { action: AuditAction.ApiKeyRotated, details: { keyId: created.id, rotatedFromId: old.id, graceHours } },
        manager,
      );
      return created;
    });
  }

  private async find(reference: string, manager?: EntityManager): Promise<ApiKey> {
    const key = await this.keys.findByReference(reference, manager);
    if (key === null) {
      throw new ApiKeyError(ApiKeyErrorCode.NotFound, 'No API key with that id or prefix.');
    }
    return key;
  }

  private async insertKey(
    manager: EntityManager,
    fields: Omit<CreateApiKeyCommand, 'expiresInDays'> & { expiresAt: Date | null; rotatedFromId: string | null },
  ): Promise<CreatedApiKey> {
    const environment = this.config.APIKEY_ENVIRONMENT;
    const generated = generateApiKey(environment);
    const key = Object.assign(new ApiKey(), {
      id: randomUUID(),
      name: fields.name,
      prefix: displayPrefix(environment, generated.publicId),
      secretHash: generated.secretHash,
      tier: fields.tier,
      channel: fields.channel ?? null,
      rotatedFromId: fields.rotatedFromId,
      expiresAt: fields.expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    await this.keys.insert(key, manager);
    // Replicas learn the new public id, which they otherwise refuse without reading the database.
    await this.invalidations.publish(manager, API_KEY_CREATED, key.prefix);
    return {
      id: key.id,
      key: generated.key,
      name: key.name,
      tier: key.tier,
      channel: key.channel,
      expiresAt: key.expiresAt,
    };
  }
}

function toSummary(key: ApiKey): ApiKeySummary {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    tier: key.tier,
    channel: key.channel,
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    lastUsedAt: key.lastUsedAt,
    rotatedFromId: key.rotatedFromId,
  };
}

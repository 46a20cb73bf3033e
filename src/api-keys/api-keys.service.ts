import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { displayPrefix, generateApiKey } from 'src/api-keys/api-key-format';
import { API_KEY_CREATED, API_KEY_INVALIDATION } from 'src/api-keys/api-key-ids';
import { ApiKeyError, ApiKeyErrorCode } from 'src/api-keys/api-keys.errors';
import { type ApiKeyRecord, ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { Tier } from 'src/auth/tier';
import { AuditAction, AuditService } from 'src/audit/audit.service';
import { ApiKeysSettings } from 'src/api-keys/api-keys.settings';
import { Database, type Tx } from 'src/database/database';
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
    private readonly database: Database,
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditService,
    private readonly config: ApiKeysSettings,
    private readonly invalidations: Invalidations,
  ) {}

  create(command: CreateApiKeyCommand): Promise<CreatedApiKey> {
    return this.database.transaction(async (tx) => {
      const expiresAt =
        command.expiresInDays === undefined ? null : new Date(Date.now() + command.expiresInDays * DAY_MS);
      const created = await this.insertKey(tx, { ...command, expiresAt, rotatedFromId: null });
      await this.audit.record(
        { action: AuditAction.ApiKeyCreated, details: { keyId: created.id, name: created.name, tier: created.tier } },
        tx,
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
      const revokedAt = new Date();
      key.revokedAt = revokedAt;
      await this.database.transaction(async (tx) => {
        await this.keys.revoke(key.id, revokedAt, tx);
        // Every replica drops the key from its cache when this commits (docs/revocation.md).
        await this.invalidations.publish(tx, API_KEY_INVALIDATION, key.prefix);
        await this.audit.record({ action: AuditAction.ApiKeyRevoked, details: { keyId: key.id, name: key.name } }, tx);
      });
    }
    return toSummary(key);
  }

  /** A new key with the same name, tier and channel; the old one keeps working for `graceHours`, then expires. */
  async rotate(reference: string, graceHours: number): Promise<CreatedApiKey> {
    return this.database.transaction(async (tx) => {
      // Locked: two concurrent rotations of one key must not both create a successor.
      const old = await this.find(reference, tx);
      if (old.revokedAt !== null || (old.expiresAt !== null && old.expiresAt <= new Date())) {
        throw new ApiKeyError(
          ApiKeyErrorCode.NotFound,
          'A revoked or expired key cannot be rotated; create a new one.',
        );
      }
      const graceEnd = new Date(Date.now() + graceHours * HOUR_MS);
      const oldExpiry = old.expiresAt !== null && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      await this.keys.setExpiry(old.id, oldExpiry, tx);
      await this.invalidations.publish(tx, API_KEY_INVALIDATION, old.prefix);
      const created = await this.insertKey(tx, {
        name: old.name,
        tier: old.tier,
        channel: old.channel ?? undefined,
        expiresAt: old.expiresAt,
        rotatedFromId: old.id,
      });
      await this.audit.record(
        { action: AuditAction.ApiKeyRotated, details: { keyId: created.id, rotatedFromId: old.id, graceHours } },
        tx,
      );
      return created;
    });
  }

  private async find(reference: string, tx?: Tx): Promise<ApiKeyRecord> {
    const key = await this.keys.findByReference(reference, tx);
    if (key === undefined) {
      throw new ApiKeyError(ApiKeyErrorCode.NotFound, 'No API key with that id or prefix.');
    }
    return key;
  }

  private async insertKey(
    tx: Tx,
    fields: Omit<CreateApiKeyCommand, 'expiresInDays'> & { expiresAt: Date | null; rotatedFromId: string | null },
  ): Promise<CreatedApiKey> {
    const environment = this.config.APIKEY_ENVIRONMENT;
    const generated = generateApiKey(environment);
    const key = {
      id: randomUUID(),
      name: fields.name,
      prefix: displayPrefix(environment, generated.publicId),
      secretHash: generated.secretHash,
      tier: fields.tier,
      channel: fields.channel ?? null,
      rotatedFromId: fields.rotatedFromId,
      expiresAt: fields.expiresAt,
    };
    await this.keys.insert(key, tx);
    // Replicas learn the new public id, which they otherwise refuse without reading the database.
    await this.invalidations.publish(tx, API_KEY_CREATED, key.prefix);
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

function toSummary(key: ApiKeyRecord): ApiKeySummary {
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

import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditRepository } from 'src/audit/audit.repository';
import { AuditSettings } from 'src/audit/audit.settings';
import type { Tx } from 'src/database/database';

export enum AuditAction {
  ApiKeyCreated = 'api_key.created',
  ApiKeyRotated = 'api_key.rotated',
  ApiKeyRevoked = 'api_key.revoked',
  UserDeleted = 'user.deleted',
  UsersErasedByPhoneNumber = 'users.erased_by_phone_number',
  CallbackLogin = 'callback.login',
  CallbackLogout = 'callback.logout',
}

export interface AuditRecord {
  action: AuditAction;
  actorKeyId?: string | null;
  /** A personal identifier in clear; only its keyed hash is stored. */
  subject?: string;
  recordCount?: number;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(
    private readonly events: AuditRepository,
    private readonly config: AuditSettings,
  ) {}

  /** Keyed hash of a personal identifier: equal inputs give equal hashes, and nothing can be read back. */
  hashIdentifier(value: string): string {
    return createHmac('sha256', this.config.AUDIT_HMAC_SECRET).update(value).digest('hex');
  }

  /**
   * GDPR erasure: audit rows about these identifiers (phone number, auraIds) lose the keyed hash that tied
   * them to the person, inside the erasure's transaction; the rows themselves (what happened, when) stay.
   * Erasure rows keep theirs: docs/gdpr.md.
   */
  unlinkSubjects(subjects: string[], tx: Tx): Promise<number> {
    return this.events.unlinkSubjects(
      subjects.map((subject) => this.hashIdentifier(subject)),
      [AuditAction.UsersErasedByPhoneNumber],
      tx,
    );
  }

  /** Records an event; pass the transaction so the audit row commits or rolls back with the change. */
  async record(record: AuditRecord, tx?: Tx): Promise<void> {
    await this.events.insert(
      {
        action: record.action,
        actorKeyId: record.actorKeyId ?? null,
        subjectHash: record.subject === undefined ? null : this.hashIdentifier(record.subject),
        recordCount: record.recordCount ?? 0,
        requestId: record.requestId ?? null,
        details: record.details ?? null,
      },
      tx,
    );
  }
}

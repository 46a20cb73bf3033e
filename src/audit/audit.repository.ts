import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Not, type Repository } from 'typeorm';
import { AuditEvent } from 'src/audit/audit-event.entity';
import { onTx, type Tx } from 'src/database/database';

/** An event to record: its id and time are the database's. */
export interface NewAuditEvent {
  action: string;
  actorKeyId: string | null;
  subjectHash: string | null;
  recordCount: number;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

/**
 * `audit_events`, through TypeORM's repository (cold: management, callbacks, erasure). The logout's audit row
 * is the one written elsewhere: by the logout's own statement (users.sql.ts DELETE_BY_AURA_ID_AND_AUDIT).
 */
@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  /** Rows of those subject hashes (other than actions in `keep`) lose them; how many. */
  async unlinkSubjects(subjectHashes: string[], keep: string[], tx: Tx): Promise<number> {
    if (subjectHashes.length === 0) {
      return 0;
    }
    const result = await onTx(this.events, tx).update(
      { subjectHash: In(subjectHashes), ...(keep.length === 0 ? {} : { action: Not(In(keep)) }) },
      { subjectHash: null },
    );
    return result.affected ?? 0;
  }

  async insert(event: NewAuditEvent, tx?: Tx): Promise<void> {
    // save rather than insert: `details` is any JSON object, which insert's partial-entity type cannot describe.
    // A new row (no id): one INSERT, in the caller's transaction or none.
    await onTx(this.events, tx).save(this.events.create(event), { transaction: false, reload: false });
  }
}

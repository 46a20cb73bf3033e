import { Injectable } from '@nestjs/common';
import { type AuditEventRecord, INSERT_EVENT, UNLINK_SUBJECTS } from 'src/audit/audit.sql';
import { Database, type Tx } from 'src/database/database';

export type NewAuditEvent = AuditEventRecord;

@Injectable()
export class AuditRepository {
  constructor(private readonly db: Database) {}

  /** Rows of those subject hashes (other than actions in `keep`) lose them; how many. */
  async unlinkSubjects(subjectHashes: string[], keep: string[], tx: Tx): Promise<number> {
    return (await this.db.one(UNLINK_SUBJECTS, { subjectHashes, keep }, tx))?.count ?? 0;
  }

  async insert(event: NewAuditEvent, tx?: Tx): Promise<void> {
    await this.db.run(INSERT_EVENT, event, tx);
  }
}

import type { Statement } from 'src/database/database';

/** The SQL of `audit_events`. */

export interface AuditEventRecord {
  action: string;
  actorKeyId: string | null;
  subjectHash: string | null;
  recordCount: number;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export const INSERT_EVENT: Statement<AuditEventRecord, never> = {
  name: 'audit_insert_event',
  text: `INSERT INTO audit_events (action, actor_key_id, subject_hash, record_count, request_id, details)
VALUES ($1, $2::uuid, $3, $4, $5, $6::jsonb)`,
  params: (event) => [
    event.action,
    event.actorKeyId,
    event.subjectHash,
    event.recordCount,
    event.requestId,
    event.details === null ? null : JSON.stringify(event.details),
  ],
};

/** GDPR erasure: rows of those subject hashes (`$1`), other than the actions in `$2`, lose them; how many. */
export const UNLINK_SUBJECTS: Statement<{ subjectHashes: string[]; keep: string[] }, { count: number }> = {
  name: 'audit_unlink_subjects',
  text: `WITH unlinked AS (
  UPDATE audit_events SET subject_hash = NULL
  WHERE subject_hash = ANY($1::varchar[]) AND action <> ALL($2::varchar[])
  RETURNING 1
)
SELECT count(*)::int AS count FROM unlinked`,
  params: ({ subjectHashes, keep }) => [subjectHashes, keep],
};

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm';
import { AuditEvent } from 'src/audit/audit-event.entity';

export type NewAuditEvent = Omit<AuditEvent, 'id' | 'createdAt'>;

@Injectable()
export class AuditRepository {
  constructor(
    @InjectRepository(AuditEvent)
    private readonly events: Repository<AuditEvent>,
  ) {}

  /** Rows of those subject hashes (other than actions in `keep`) lose them; how many. */
  async unlinkSubjects(subjectHashes: string[], keep: string[], manager: EntityManager): Promise<number> {
    const [{ count }] = await manager.query<[{ count: number }]>(
      `WITH unlinked AS (
         UPDATE audit_events SET subject_hash = NULL
         WHERE subject_hash = ANY($1::varchar[]) AND action <> ALL($2::varchar[])
         RETURNING 1
       )
       SELECT count(*)::int AS count FROM unlinked`,
      [subjectHashes, keep],
    );
    return count;
  }

  async insert(event: NewAuditEvent, manager?: EntityManager): Promise<void> {
    await (manager?.getRepository(AuditEvent) ?? this.events).insert(event as QueryDeepPartialEntity<AuditEvent>);
  }
}

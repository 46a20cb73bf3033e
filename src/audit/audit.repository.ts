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

  async insert(event: NewAuditEvent, manager?: EntityManager): Promise<void> {
    await (manager?.getRepository(AuditEvent) ?? this.events).insert(event as QueryDeepPartialEntity<AuditEvent>);
  }
}

import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Who did what, when, to how many records. Identifiers of people (phone numbers, auraIds)
 * are stored only as keyed hashes (`subject_hash`), so an action can be proven later
 * for a given person without the table holding anything that identifies them.
 */
@Entity('audit_events')
@Index('idx_audit_events_action_created_at', ['action', 'createdAt'])
@Index('idx_audit_events_subject_hash', ['subjectHash'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  /** The API key that acted; null for operator CLI actions and keyless callbacks. */
  @Column({ name: 'actor_key_id', type: 'uuid', nullable: true })
  actorKeyId: string | null;

  /** HMAC-SHA256 (AUDIT_HMAC_SECRET) of the person's identifier, hex. */
  @Column({ name: 'subject_hash', type: 'varchar', length: 64, nullable: true })
  subjectHash: string | null;

  /** Records affected. */
  @Column({ name: 'record_count', type: 'integer', default: 0 })
  recordCount: number;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  /** Non-identifying context (channel, tier, key name…). */
  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

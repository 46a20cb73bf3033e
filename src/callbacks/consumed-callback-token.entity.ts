import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The unique id (`jti`) of every callback token already used, until the token would have expired
 * anyway: single use across all replicas. `subject_hash` ties the row to the person (HMAC of the
 * phone number, when the token carried one) so that GDPR erasure can cut that link; the row itself stays
 * until expiry, so that the person's tokens cannot be replayed after the erasure.
 */
@Entity('consumed_callback_tokens')
@Index('idx_consumed_callback_tokens_expires_at', ['expiresAt'])
@Index('idx_consumed_callback_tokens_subject_hash', ['subjectHash'])
export class ConsumedCallbackToken {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  jti: string;

  @Column({ type: 'varchar', length: 16 })
  purpose: string;

  @Column({ name: 'subject_hash', type: 'varchar', length: 64, nullable: true })
  subjectHash: string | null;

  @Column({ name: 'consumed_at', type: 'timestamptz', default: () => 'now()' })
  consumedAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}

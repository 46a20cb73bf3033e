import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Session } from 'src/sessions/session.entity';

/**
 * The hash of a refresh token a session issued and later rotated away (docs/sessions.md "Rotation"). Only a
 * token found here (or the one just rotated, within the grace) is reuse; any other value carrying the
 * session's id was never issued, and is refused without touching the session. Goes with its session.
 */
@Entity('session_rotated_refresh_tokens')
export class SessionRotatedRefreshToken {
  @PrimaryColumn({ name: 'session_id', type: 'uuid', primaryKeyConstraintName: 'PK_session_rotated_refresh_tokens' })
  sessionId: string;

  /** SHA-256 (hex) of the rotated token. */
  @PrimaryColumn({
    name: 'refresh_hash',
    type: 'varchar',
    length: 64,
    primaryKeyConstraintName: 'PK_session_rotated_refresh_tokens',
  })
  refreshHash: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({
    name: 'session_id',
    referencedColumnName: 'id',
    foreignKeyConstraintName: 'fk_session_rotated_refresh_tokens_session_id',
  })
  session?: Session;

  @Column({ name: 'rotated_at', type: 'timestamptz', default: () => 'now()' })
  rotatedAt: Date;
}

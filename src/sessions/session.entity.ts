import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AuraUser } from 'src/users/user.entity';

/**
 * A browser session (docs/sessions.md): opened by the login callback's redirect, kept alive by refresh-token
 * rotation. Only hashes of refresh tokens are stored. It goes with its user record (foreign key, cascade).
 */
@Entity('sessions')
@Index('idx_sessions_expires_at', ['expiresAt'])
export class Session {
  /** Random (v4); also the `sid` claim of its access tokens and the first part of its refresh tokens. */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Index('idx_sessions_aura_id')
  @Column({ name: 'aura_id', type: 'varchar', length: 128 })
  auraId: string;

  @ManyToOne(() => AuraUser, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'aura_id', referencedColumnName: 'auraId', foreignKeyConstraintName: 'fk_sessions_aura_id' })
  user?: AuraUser;

  /** `aud` of its access tokens. */
  @Column({ type: 'varchar', length: 32 })
  audience: string;

  /** SHA-256 (hex) of the current refresh token. */
  @Column({ name: 'refresh_hash', type: 'varchar', length: 64 })
  refreshHash: string;

  /** SHA-256 (hex) of the token it replaced: accepted for a short grace, reuse after that revokes the session. */
  @Column({ name: 'previous_refresh_hash', type: 'varchar', length: 64, nullable: true })
  previousRefreshHash: string | null;

  /** When the refresh token last rotated. */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** Last refresh: the idle timeout counts from here. */
  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' })
  lastUsedAt: Date;

  /** Absolute end of the session. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'boolean', default: false })
  revoked: boolean;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** User-Agent of the browser that opened it, truncated; shown to nobody but operators. */
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;
}

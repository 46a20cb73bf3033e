import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { Tier } from 'src/auth/tier';

/** An API key: only the SHA-256 of the key is stored; the key itself is shown once, at creation. */
@Entity('api_keys')
@Check('chk_api_keys_tier', `"tier" IN ('internal', 'kernel', 'public')`)
export class ApiKey {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** Public part of the key (`aak_<env>_<id>`), to recognise it in listings and logs. */
  @Index('uq_api_keys_prefix', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  prefix: string;

  @Index('uq_api_keys_secret_hash', { unique: true })
  @Column({ name: 'secret_hash', type: 'char', length: 64 })
  secretHash: string;

  @Column({ type: 'varchar', length: 16 })
  tier: Tier;

  /** When set, the key may only act on users of this channel. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  channel: string | null;

  /** The key this one replaced (rotation). */
  @Column({ name: 'rotated_from_id', type: 'uuid', nullable: true })
  rotatedFromId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}

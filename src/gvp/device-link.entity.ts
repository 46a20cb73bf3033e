import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AuraUser } from 'src/users/user.entity';

/**
 * A GVP device (TV) signed in as an Aura user: DeviceId → auraId, one per channel and device.
 * The link goes with its user (logout, GDPR erasure, the expiry sweep) through the foreign key's cascade,
 * and follows the record when an expired one is renewed under a new auraId.
 */
@Entity('gvp_device_links')
export class GvpDeviceLink {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  channel: string;

  /** DeviceId of the GVP device token. */
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 128 })
  deviceId: string;

  @Index('idx_gvp_device_links_aura_id')
  @Column({ name: 'aura_id', type: 'varchar', length: 128 })
  auraId: string;

  @ManyToOne(() => AuraUser, { onDelete: 'CASCADE', onUpdate: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'aura_id', referencedColumnName: 'auraId', foreignKeyConstraintName: 'fk_gvp_device_links_user' })
  user?: AuraUser;

  /** Keyed hash of the subscriber (`sub`) the device signed in as: another subscriber on the device signs in anew. */
  @Column({ name: 'subscriber_hash', type: 'varchar', length: 64 })
  subscriberHash: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

import { Check, Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** authenticated: logged in through Kernel; identifiable: anonymous, but uniquely identified in its channel (docs/users.md). */
export enum UserType {
  Authenticated = 'authenticated',
  Identifiable = 'identifiable',
}

/** Subscription of an authenticated user, as Kernel reports it (docs/users.md). */
export enum SubscriptionType {
  Postpaid = 'postpaid',
  Prepaid = 'prepaid',
  Hybrid = 'hybrid',
  Control = 'control',
}

/** Largest stored authentication context, serialised, in bytes. */
export const AUTHENTICATION_CONTEXT_MAX_BYTES = 8192;

/**
 * An Aura user of one channel. A person may hold several records (one per channel, and a new
 * auraId at each login); `expires_at` decides whether a record is still valid.
 *
 * Lookups and their indexes: by auraId (primary key); get-or-create by channel + Kernel user and
 * authorization (unique, the ON CONFLICT target); last auraId of an auraIdGlobal in a channel;
 * every record of a phone number (GDPR erasure); expired records (sweep).
 */
@Entity('aura_users')
@Unique('uq_aura_users_channel_user_authorization', ['channel', 'userId', 'authorizationId'])
@Index('idx_aura_users_global_channel_created', ['auraIdGlobal', 'channel', 'createdAt'])
@Check('chk_aura_users_user_type', `"user_type" IN ('authenticated', 'identifiable')`)
@Check(
  'chk_aura_users_subscription_type',
  `"subscription_type" IS NULL OR "subscription_type" IN ('postpaid', 'prepaid', 'hybrid', 'control')`,
)
@Check(
  'chk_aura_users_authentication_context_size',
  `octet_length("authentication_context"::text) <= ${AUTHENTICATION_CONTEXT_MAX_BYTES}`,
)
export class AuraUser {
  /** Opaque, URL-safe; random (CSPRNG) unless the channel supplies it (WhatsApp). */
  @PrimaryColumn({ name: 'aura_id', type: 'varchar', length: 128 })
  auraId: string;

  /** The same person across channels: from Kernel, or derived from the phone number (identifiable users). */
  @Column({ name: 'aura_id_global', type: 'varchar', length: 128 })
  auraIdGlobal: string;

  /** Kernel user id, or a derived one for identifiable users. */
  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId: string;

  @Column({ type: 'varchar', length: 64 })
  channel: string;

  @Column({ name: 'user_type', type: 'varchar', length: 16 })
  userType: UserType;

  @Column({ name: 'subscription_type', type: 'varchar', length: 16, nullable: true })
  subscriptionType: SubscriptionType | null;

  /** E.164. */
  @Index('idx_aura_users_phone_number')
  @Column({ name: 'phone_number', type: 'varchar', length: 16, nullable: true })
  phoneNumber: string | null;

  /** Kernel authorization (session) id; null for identifiable users. */
  @Column({ name: 'authorization_id', type: 'varchar', length: 256, nullable: true })
  authorizationId: string | null;

  /** Kernel's authentication context (LoA, scopes, purposes, expiry and whatever else Kernel sent). */
  @Column({ name: 'authentication_context', type: 'jsonb', nullable: true })
  authenticationContext: Record<string, unknown> | null;

  /** Device the user signed in from (TV sign-in). */
  @Column({ name: 'device_id', type: 'varchar', length: 128, nullable: true })
  deviceId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Index('idx_aura_users_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}

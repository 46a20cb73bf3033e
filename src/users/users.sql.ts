import type { Statement } from 'src/database/database';
import { type SubscriptionType, UserType } from 'src/users/user.entity';

/**
 * The SQL of every query on `aura_users`, in one place: the repository runs these statements, and the
 * benchmark's bare baseline runs the very same ones.
 */

/*
 * `phone_number` and `authentication_context` hold sealed values (docs/pii.md): they are written and read
 * as opaque text, and found only through `phone_number_index` (the blind index of the number) and
 * `phone_mentions` (blind indexes of phone numbers written elsewhere in the record: the Kernel userId, a
 * WhatsApp auraId, members of the context), both computed by the repository.
 */

export const COLUMNS = `aura_id, aura_id_global, user_id, channel, user_type, subscription_type, phone_number,
  authorization_id, authentication_context, created_at, updated_at, expires_at`;

/** Expiry of a new record: the one given, else the configured TTL from now (database clock). */
export const EXPIRY = (expiresAt: string, ttlDays: string) =>
  `COALESCE(${expiresAt}::timestamptz, now() + make_interval(days => ${ttlDays}::int))`;

/** A record as the statements return it: `COLUMNS`, the personal data still sealed. */
export interface StoredUserRow {
  aura_id: string;
  aura_id_global: string;
  user_id: string;
  channel: string;
  user_type: UserType;
  subscription_type: SubscriptionType | null;
  phone_number: string | null;
  authorization_id: string | null;
  authentication_context: string | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}

/** A get-or-create's row: whether it was created, or found and expired. */
export type FlaggedUserRow = StoredUserRow & { created: boolean; expired: boolean };

/** A count of the rows a statement changed. */
export interface CountRow {
  count: number;
}

/** The personal data of a record as it is written: sealed, and the blind indexes computed from it. */
export interface SealedPersonalData {
  /** The sealed phone number, or null. */
  sealedPhoneNumber: string | null;
  /** Blind index of the phone number, or null. */
  phoneIndex: string | null;
  /** Blind indexes of the other phone numbers the record mentions. */
  phoneMentions: string[];
}

interface UserFields {
  auraId: string;
  auraIdGlobal: string;
  userId: string;
  channel: string;
}

/**
 * A record to write: the user's fields (its phone number not among them), its sealed personal data, and the
 * validity of a record created without an expiry of its own. Parts rather than one flat object: the hot paths
 * pass them on as they are, without copying.
 */
export interface NewRecord<User extends UserFields> {
  user: User;
  personal: SealedPersonalData;
  ttlDays: number;
}

/** A Kernel-authenticated record, as get-or-create writes it. */
export type KernelUserRecord = NewRecord<
  UserFields & { subscriptionType: SubscriptionType | null; authorizationId: string; expiresAt: Date | null }
>;

export type IdentifiableUserRecord = NewRecord<UserFields>;

/** A record authenticated by an OTP login, as its upsert writes it (`kernelAuraIdGlobal`: the one Kernel sent). */
export interface AuthenticatedUserRecord extends NewRecord<
  KernelUserRecord['user'] & { kernelAuraIdGlobal: string | null }
> {
  sealedAuthenticationContext: string;
}

/** A GVP device user and the device's link to it. */
export type DeviceUserRecord = NewRecord<
  UserFields & {
    subscriptionType: SubscriptionType | null;
    authorizationId: string | null;
    deviceId: string;
    subscriberHash: string;
    /** auraId the device's link may be moved away from; null: the device has no link yet. */
    replacing: string | null;
  }
>;

/** The audit row a logout writes with the deletion. */
export interface DeletionAudit {
  action: string;
  actorKeyId: string | null;
  subjectHash: string;
  requestId: string;
}

export interface LastValidAuraId {
  aura_id: string;
  aura_id_global: string;
  channel: string;
  expires_at: Date;
}

export const FIND_BY_AURA_ID: Statement<{ auraId: string }, StoredUserRow & { expired: boolean }> = {
  name: 'users_find_by_aura_id',
  text: `SELECT ${COLUMNS}, expires_at <= now() AS expired FROM aura_users WHERE aura_id = $1`,
  params: ({ auraId }) => [auraId],
};

/**
 * The parameters shared by the Kernel get-or-create, its replacement of an expired record, and (first) the
 * authenticated upsert and the device user's creation. A record without an expiry of its own gets the TTL.
 */
const kernelUserParams = ({
  user,
  personal,
  ttlDays,
}: NewRecord<
  UserFields & { subscriptionType: SubscriptionType | null; authorizationId: string | null; expiresAt?: Date | null }
>): unknown[] => [
  user.auraId,
  user.auraIdGlobal,
  user.userId,
  user.channel,
  user.subscriptionType,
  personal.sealedPhoneNumber,
  user.authorizationId,
  user.expiresAt ?? null,
  ttlDays,
  personal.phoneIndex,
  personal.phoneMentions,
];

/**
 * Get-or-create of a Kernel-authenticated user, keyed by channel + Kernel user + authorization. When the
 * record exists the insert does nothing (and writes nothing): the second branch returns it, with whether
 * it has expired. A row inserted concurrently after this statement's snapshot is invisible to the second
 * branch: the statement then returns nothing and the caller runs it again.
 */
export const GET_OR_CREATE_KERNEL_USER: Statement<KernelUserRecord, FlaggedUserRow> = {
  name: 'users_get_or_create_kernel_user',
  text: `
WITH inserted AS (
  INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, subscription_type,
    phone_number, authorization_id, expires_at, phone_number_index, phone_mentions)
  VALUES ($1, $2, $3, $4, '${UserType.Authenticated}', $5, $6, $7, ${EXPIRY('$8', '$9')}, $10, $11::varchar[])
  ON CONFLICT (channel, user_id, authorization_id) DO NOTHING
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS}, true AS created, false AS expired FROM inserted
UNION ALL
SELECT ${COLUMNS}, false AS created, expires_at <= now() AS expired FROM aura_users
WHERE channel = $4 AND user_id = $3 AND authorization_id = $7 AND NOT EXISTS (SELECT 1 FROM inserted)`,
  params: kernelUserParams,
};

/** An expired Kernel user gives way to a new record (new auraId) for the same session key. */
export const REPLACE_EXPIRED_KERNEL_USER: Statement<KernelUserRecord, StoredUserRow> = {
  name: 'users_replace_expired_kernel_user',
  text: `
WITH replaced AS (
  UPDATE aura_users SET aura_id = $1, aura_id_global = $2, user_type = '${UserType.Authenticated}',
    subscription_type = $5, phone_number = $6, phone_number_index = $10, phone_mentions = $11::varchar[],
    authentication_context = NULL, device_id = NULL, created_at = now(), updated_at = now(), expires_at = ${EXPIRY('$8', '$9')}
  WHERE channel = $4 AND user_id = $3 AND authorization_id = $7 AND expires_at <= now()
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS} FROM replaced`,
  params: kernelUserParams,
};

/** The parameters shared by the identifiable get-or-create and its renewal of an expired record. */
const identifiableUserParams = ({ user, personal, ttlDays }: IdentifiableUserRecord): unknown[] => [
  user.auraId,
  user.auraIdGlobal,
  user.userId,
  user.channel,
  personal.sealedPhoneNumber,
  ttlDays,
  personal.phoneIndex,
  personal.phoneMentions,
];

/** Get-or-create of an identifiable user with a given auraId; the existing record is returned whatever its channel. */
export const GET_OR_CREATE_IDENTIFIABLE_USER: Statement<IdentifiableUserRecord, FlaggedUserRow> = {
  name: 'users_get_or_create_identifiable_user',
  text: `
WITH inserted AS (
  INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, phone_number, expires_at,
    phone_number_index, phone_mentions)
  VALUES ($1, $2, $3, $4, '${UserType.Identifiable}', $5, ${EXPIRY('NULL', '$6')}, $7, $8::varchar[])
  ON CONFLICT (aura_id) DO NOTHING
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS}, true AS created, false AS expired FROM inserted
UNION ALL
SELECT ${COLUMNS}, false AS created, expires_at <= now() AS expired FROM aura_users
WHERE aura_id = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
  params: identifiableUserParams,
};

/** An expired record of the same channel starts over as a new identifiable user. */
export const REPLACE_EXPIRED_IDENTIFIABLE_USER: Statement<IdentifiableUserRecord, StoredUserRow> = {
  name: 'users_replace_expired_identifiable_user',
  text: `
WITH replaced AS (
  UPDATE aura_users SET aura_id_global = $2, user_id = $3, user_type = '${UserType.Identifiable}',
    subscription_type = NULL, phone_number = $5, phone_number_index = $7, phone_mentions = $8::varchar[],
    authorization_id = NULL, authentication_context = NULL, device_id = NULL, created_at = now(), updated_at = now(), expires_at = ${EXPIRY('NULL', '$6')}
  WHERE aura_id = $1 AND channel = $4 AND expires_at <= now()
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS} FROM replaced`,
  params: identifiableUserParams,
};

/**
 * Creates the record as authenticated, or upgrades the channel's existing record of that auraId. A record
 * of another channel is left alone and nothing is returned. A phone number already known is kept when the
 * context has none, and with it the auraIdGlobal derived from it (unless Kernel sent one).
 */
export const UPSERT_AUTHENTICATED_USER: Statement<AuthenticatedUserRecord, StoredUserRow & { created: boolean }> = {
  name: 'users_upsert_authenticated_user',
  text: `
INSERT INTO aura_users AS u (aura_id, aura_id_global, user_id, channel, user_type, subscription_type,
  phone_number, authorization_id, authentication_context, expires_at, phone_number_index, phone_mentions)
VALUES ($1, $2, $3, $4, '${UserType.Authenticated}', $5, $6, $7, $12, ${EXPIRY('$8', '$9')}, $10, $11::varchar[])
ON CONFLICT (aura_id) DO UPDATE SET
  aura_id_global = COALESCE($13::varchar,
    CASE WHEN EXCLUDED.phone_number IS NULL AND u.phone_number IS NOT NULL THEN u.aura_id_global END,
    EXCLUDED.aura_id_global),
  user_id = EXCLUDED.user_id, user_type = EXCLUDED.user_type, subscription_type = EXCLUDED.subscription_type,
  phone_number = COALESCE(EXCLUDED.phone_number, u.phone_number),
  phone_number_index = CASE WHEN EXCLUDED.phone_number IS NULL THEN u.phone_number_index ELSE EXCLUDED.phone_number_index END,
  phone_mentions = EXCLUDED.phone_mentions, authorization_id = EXCLUDED.authorization_id,
  authentication_context = EXCLUDED.authentication_context,
  created_at = CASE WHEN u.expires_at <= now() THEN now() ELSE u.created_at END,
  updated_at = now(), expires_at = EXCLUDED.expires_at
WHERE u.channel = EXCLUDED.channel
RETURNING ${COLUMNS}, (xmax = 0) AS created`,
  // The Kernel user's parameters ($1-$11), then the sealed context ($12) and Kernel's own auraIdGlobal ($13).
  params: (record) => [...kernelUserParams(record), record.sealedAuthenticationContext, record.user.kernelAuraIdGlobal],
};

/**
 * Logout: deletes the record unless it belongs to another channel than `$2` (when given), and writes its
 * audit row (`$3` action, `$4` acting key, `$5` keyed hash of the auraId, `$6` request id) in the same
 * statement — atomic, and one round trip on this hot path. Says what it found.
 */
export const DELETE_BY_AURA_ID_AND_AUDIT: Statement<
  { auraId: string; channel: string | null; audit: DeletionAudit },
  { channel: string; user_type: UserType; deleted: boolean }
> = {
  name: 'users_delete_by_aura_id_and_audit',
  text: `
WITH target AS (SELECT aura_id, channel, user_type FROM aura_users WHERE aura_id = $1),
deleted AS (
  DELETE FROM aura_users u USING target t
  WHERE u.aura_id = t.aura_id AND ($2::varchar IS NULL OR t.channel = $2::varchar)
  RETURNING t.channel, t.user_type
),
audited AS (
  INSERT INTO audit_events (action, actor_key_id, subject_hash, record_count, request_id, details)
  SELECT $3, $4::uuid, $5, 1, $6, jsonb_build_object('channel', d.channel, 'userType', d.user_type) FROM deleted d
  RETURNING 1
)
SELECT t.channel, t.user_type, EXISTS (SELECT 1 FROM deleted) AS deleted FROM target t`,
  params: ({ auraId, channel, audit }) => [
    auraId,
    channel,
    audit.action,
    audit.actorKeyId,
    audit.subjectHash,
    audit.requestId,
  ],
};

/** Kernel's logout callback: the channel's record of that Kernel session, and the one of `auraId` when given. */
export const DELETE_BY_KERNEL_SESSION: Statement<
  { channel: string; userId: string; authorizationId: string; auraId: string | null },
  CountRow
> = {
  name: 'users_delete_by_kernel_session',
  text: `
WITH deleted AS (
  DELETE FROM aura_users
  WHERE channel = $1 AND ((user_id = $2 AND authorization_id = $3) OR aura_id = $4::varchar)
  RETURNING 1
)
SELECT count(*)::int AS count FROM deleted`,
  params: (session) => [session.channel, session.userId, session.authorizationId, session.auraId],
};

export const LAST_VALID_AURA_ID: Statement<{ auraIdGlobal: string; channel: string }, LastValidAuraId> = {
  name: 'users_last_valid_aura_id',
  text: `
SELECT aura_id, aura_id_global, channel, expires_at FROM aura_users
WHERE aura_id_global = $1 AND channel = $2 AND expires_at > now()
ORDER BY created_at DESC, aura_id DESC
LIMIT 1`,
  params: ({ auraIdGlobal, channel }) => [auraIdGlobal, channel],
};

/** Every record holding the number (`$1`, its blind index): in the phone column or anywhere else. */
export const ERASE_BY_PHONE_NUMBER: Statement<{ phoneIndex: string }, { aura_id: string; channel: string }> = {
  name: 'users_erase_by_phone_number',
  text: `
WITH erased AS (
  DELETE FROM aura_users WHERE phone_number_index = $1 OR phone_mentions @> ARRAY[$1]::varchar[]
  RETURNING aura_id, channel
)
SELECT aura_id, channel FROM erased`,
  params: ({ phoneIndex }) => [phoneIndex],
};

/**
 * One batch of `pii reencrypt`: records with a value sealed under another key than `$1`, after the auraId
 * `$2` (keyset order, so a run can stop and resume anywhere).
 */
export const STALE_SEALED_BATCH: Statement<
  { currentKid: string; after: string; batchSize: number },
  Pick<StoredUserRow, 'aura_id' | 'phone_number' | 'authentication_context'>
> = {
  name: 'users_stale_sealed_batch',
  text: `
SELECT aura_id, phone_number, authentication_context FROM aura_users
WHERE aura_id > $2 AND (split_part(phone_number, '.', 2) <> $1 OR split_part(authentication_context, '.', 2) <> $1)
ORDER BY aura_id
LIMIT $3`,
  params: ({ currentKid, after, batchSize }) => [currentKid, after, batchSize],
};

export const COUNT_STALE_SEALED: Statement<{ currentKid: string }, CountRow> = {
  name: 'users_count_stale_sealed',
  text: `
SELECT count(*)::int AS count FROM aura_users
WHERE split_part(phone_number, '.', 2) <> $1 OR split_part(authentication_context, '.', 2) <> $1`,
  params: ({ currentKid }) => [currentKid],
};

/**
 * Re-seals one record's values, unless they changed since they were read (a request wrote newer values,
 * already sealed under the current key): compare-and-set, safe while the service serves traffic.
 */
export const RESEAL: Statement<
  {
    auraId: string;
    /** The values as read. */
    phoneNumber: string | null;
    authenticationContext: string | null;
    /** The same values sealed under the current key. */
    resealedPhoneNumber: string | null;
    resealedAuthenticationContext: string | null;
  },
  CountRow
> = {
  name: 'users_reseal',
  text: `
WITH updated AS (
  UPDATE aura_users SET phone_number = $4, authentication_context = $5
  WHERE aura_id = $1 AND phone_number IS NOT DISTINCT FROM $2 AND authentication_context IS NOT DISTINCT FROM $3
  RETURNING 1
)
SELECT count(*)::int AS count FROM updated`,
  params: (record) => [
    record.auraId,
    record.phoneNumber,
    record.authenticationContext,
    record.resealedPhoneNumber,
    record.resealedAuthenticationContext,
  ],
};

/**
 * One batch of the sweep. SKIP LOCKED lets several replicas sweep at once without waiting on
 * each other or deleting a row twice.
 */
export const DELETE_EXPIRED_BATCH: Statement<{ retentionDays: number; batchSize: number }, CountRow> = {
  name: 'users_delete_expired_batch',
  text: `
WITH doomed AS (
  SELECT aura_id FROM aura_users
  WHERE expires_at < now() - make_interval(days => $1::int)
  ORDER BY expires_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), deleted AS (
  DELETE FROM aura_users u USING doomed d WHERE u.aura_id = d.aura_id RETURNING 1
)
SELECT count(*)::int AS count FROM deleted`,
  params: ({ retentionDays, batchSize }) => [retentionDays, batchSize],
};

/**
 * GVP device sign-in after Kernel authenticated the subscriber: creates the authenticated user and links the
 * device to it, in one statement. The link is inserted first; the user only when the link was (the foreign
 * key is checked at the end of the statement). A link that exists is moved to the new user only when it still
 * points at `$14`, the auraId the caller found unusable (expired, or another subscriber's); otherwise nothing
 * is written or returned — a concurrent sign-in of the device won, and the caller reads the link again.
 * `$6` is the phone number column, written here as in every other statement of this file.
 */
export const CREATE_DEVICE_USER: Statement<DeviceUserRecord, StoredUserRow> = {
  name: 'users_create_device_user',
  text: `
WITH link AS (
  INSERT INTO gvp_device_links AS l (channel, device_id, aura_id, subscriber_hash)
  VALUES ($4, $12, $1, $13)
  ON CONFLICT (channel, device_id) DO UPDATE SET aura_id = EXCLUDED.aura_id,
    subscriber_hash = EXCLUDED.subscriber_hash, created_at = now()
  WHERE l.aura_id = $14::varchar
  RETURNING aura_id
), created AS (
  INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, subscription_type, phone_number,
    authorization_id, device_id, expires_at, phone_number_index, phone_mentions)
  SELECT $1, $2, $3, $4, '${UserType.Authenticated}', $5, $6, $7, $12, ${EXPIRY('$8', '$9')}, $10, $11::varchar[] FROM link
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS} FROM created`,
  params: (record) => [
    ...kernelUserParams(record),
    record.user.deviceId,
    record.user.subscriberHash,
    record.user.replacing,
  ],
};

import type { Statement } from 'src/database/database';
import { type SubscriptionType, UserType } from 'src/users/user.entity';
import type { SealedPersonalData, StoredUserRow } from 'src/users/user-sealing';

export type { StoredUserRow } from 'src/users/user-sealing';

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

/** A get-or-create's row: whether it was created, or found and expired. */
export type FlaggedUserRow = StoredUserRow & { created: boolean; expired: boolean };

/** A count of the rows a statement changed. */
export interface CountRow {
  count: number;
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

/** The audit row a logout writes with the deletion. */
export interface DeletionAudit {
  action: string;
  actorKeyId: string | null;
  subjectHash: string;
  requestId: string;
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

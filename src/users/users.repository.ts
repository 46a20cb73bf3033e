import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { AppConfig } from 'src/config/app-config';
import { type SubscriptionType, UserType } from 'src/users/user.entity';

/** A user as read from `aura_users`: the columns a response needs, nothing else. */
export interface UserRow {
  aura_id: string;
  aura_id_global: string;
  user_id: string;
  channel: string;
  user_type: UserType;
  subscription_type: SubscriptionType | null;
  phone_number: string | null;
  authorization_id: string | null;
  authentication_context: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}

export interface UserLookup {
  user: UserRow;
  /** Its validity ended (database clock). */
  expired: boolean;
}

export interface UpsertedUser {
  user: UserRow;
  /** A record was created (or an expired one replaced), rather than an existing one returned or updated. */
  created: boolean;
}

interface NewUserFields {
  auraId: string;
  auraIdGlobal: string;
  userId: string;
  channel: string;
  phoneNumber: string | null;
}

export interface NewKernelUser extends NewUserFields {
  authorizationId: string;
  subscriptionType: SubscriptionType | null;
  expiresAt: Date | null;
}

export interface AuthenticatedUserFields extends NewKernelUser {
  authenticationContext: Record<string, unknown>;
  /** The auraIdGlobal Kernel sent; when null the derived `auraIdGlobal` is used, unless the record keeps its own. */
  kernelAuraIdGlobal: string | null;
}

export type NewIdentifiableUser = NewUserFields;

export interface DeletedUser {
  /** Channel of the record found, if any (it may be left in place when it belongs to another channel). */
  channel: string | null;
  userType: UserType | null;
  deleted: boolean;
}

export interface ErasedUsers {
  count: number;
  auraIds: string[];
  channels: string[];
}

export interface LastValidAuraId {
  aura_id: string;
  aura_id_global: string;
  channel: string;
  expires_at: Date;
}

const UNIQUE_VIOLATION = '23505';
const AUTHORIZATION_CONSTRAINT = 'uq_aura_users_channel_user_authorization';

/*
 * Statements that change rows and return them are wrapped as `WITH … SELECT`: TypeORM answers a bare
 * UPDATE or DELETE with [rows, count] instead of the rows.
 */

const COLUMNS = `aura_id, aura_id_global, user_id, channel, user_type, subscription_type, phone_number,
  authorization_id, authentication_context, created_at, updated_at, expires_at`;

/** Expiry of a new record: the one given, else the configured TTL from now (database clock). */
const EXPIRY = (expiresAt: string, ttlDays: string) =>
  `COALESCE(${expiresAt}::timestamptz, now() + make_interval(days => ${ttlDays}::int))`;

/**
 * A SQL statement of the hot paths. On PostgreSQL it runs as a named prepared statement straight on the
 * pool (planned once per connection: planning these statements costs more than running them); on the
 * embedded database through TypeORM, which serialises access to its single connection.
 */
interface Statement {
  name: string;
  text: string;
}

const FIND_BY_AURA_ID: Statement = {
  name: 'users_find_by_aura_id',
  text: `SELECT ${COLUMNS}, expires_at <= now() AS expired FROM aura_users WHERE aura_id = $1`,
};

/**
 * Get-or-create of a Kernel-authenticated user, keyed by channel + Kernel user + authorization. When the
 * record exists the insert does nothing (and writes nothing): the second branch returns it, with whether
 * it has expired. A row inserted concurrently after this statement's snapshot is invisible to the second
 * branch: the statement then returns nothing and the caller runs it again.
 */
const GET_OR_CREATE_KERNEL_USER: Statement = {
  name: 'users_get_or_create_kernel_user',
  text: `
WITH inserted AS (
  INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, subscription_type,
    phone_number, authorization_id, expires_at)
  VALUES ($1, $2, $3, $4, '${UserType.Authenticated}', $5, $6, $7, ${EXPIRY('$8', '$9')})
  ON CONFLICT (channel, user_id, authorization_id) DO NOTHING
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS}, true AS created, false AS expired FROM inserted
UNION ALL
SELECT ${COLUMNS}, false AS created, expires_at <= now() AS expired FROM aura_users
WHERE channel = $4 AND user_id = $3 AND authorization_id = $7 AND NOT EXISTS (SELECT 1 FROM inserted)`,
};

/** An expired Kernel user gives way to a new record (new auraId) for the same session key. */
const REPLACE_EXPIRED_KERNEL_USER: Statement = {
  name: 'users_replace_expired_kernel_user',
  text: `
WITH replaced AS (
  UPDATE aura_users SET aura_id = $1, aura_id_global = $2, user_type = '${UserType.Authenticated}',
    subscription_type = $5, phone_number = $6, authentication_context = NULL, device_id = NULL,
    created_at = now(), updated_at = now(), expires_at = ${EXPIRY('$8', '$9')}
  WHERE channel = $4 AND user_id = $3 AND authorization_id = $7 AND expires_at <= now()
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS} FROM replaced`,
};

/** Get-or-create of an identifiable user with a given auraId; the existing record is returned whatever its channel. */
const GET_OR_CREATE_IDENTIFIABLE_USER: Statement = {
  name: 'users_get_or_create_identifiable_user',
  text: `
WITH inserted AS (
  INSERT INTO aura_users (aura_id, aura_id_global, user_id, channel, user_type, phone_number, expires_at)
  VALUES ($1, $2, $3, $4, '${UserType.Identifiable}', $5, ${EXPIRY('NULL', '$6')})
  ON CONFLICT (aura_id) DO NOTHING
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS}, true AS created, false AS expired FROM inserted
UNION ALL
SELECT ${COLUMNS}, false AS created, expires_at <= now() AS expired FROM aura_users
WHERE aura_id = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
};

/** An expired record of the same channel starts over as a new identifiable user. */
const REPLACE_EXPIRED_IDENTIFIABLE_USER: Statement = {
  name: 'users_replace_expired_identifiable_user',
  text: `
WITH replaced AS (
  UPDATE aura_users SET aura_id_global = $2, user_id = $3, user_type = '${UserType.Identifiable}',
    subscription_type = NULL, phone_number = $5, authorization_id = NULL, authentication_context = NULL,
    device_id = NULL, created_at = now(), updated_at = now(), expires_at = ${EXPIRY('NULL', '$6')}
  WHERE aura_id = $1 AND channel = $4 AND expires_at <= now()
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS} FROM replaced`,
};

/**
 * Creates the record as authenticated, or upgrades the channel's existing record of that auraId. A record
 * of another channel is left alone and nothing is returned. A phone number already known is kept when the
 * context has none, and with it the auraIdGlobal derived from it (unless Kernel sent one).
 */
const UPSERT_AUTHENTICATED_USER: Statement = {
  name: 'users_upsert_authenticated_user',
  text: `
INSERT INTO aura_users AS u (aura_id, aura_id_global, user_id, channel, user_type, subscription_type,
  phone_number, authorization_id, authentication_context, expires_at)
VALUES ($1, $2, $3, $4, '${UserType.Authenticated}', $5, $6, $7, $8::jsonb, ${EXPIRY('$9', '$10')})
ON CONFLICT (aura_id) DO UPDATE SET
  aura_id_global = COALESCE($11::varchar,
    CASE WHEN EXCLUDED.phone_number IS NULL AND u.phone_number IS NOT NULL THEN u.aura_id_global END,
    EXCLUDED.aura_id_global),
  user_id = EXCLUDED.user_id, user_type = EXCLUDED.user_type, subscription_type = EXCLUDED.subscription_type,
  phone_number = COALESCE(EXCLUDED.phone_number, u.phone_number), authorization_id = EXCLUDED.authorization_id,
  authentication_context = EXCLUDED.authentication_context,
  created_at = CASE WHEN u.expires_at <= now() THEN now() ELSE u.created_at END,
  updated_at = now(), expires_at = EXCLUDED.expires_at
WHERE u.channel = EXCLUDED.channel
RETURNING ${COLUMNS}, (xmax = 0) AS created`,
};

/** Deletes the record unless it belongs to another channel than `$2` (when given), and says what it found. */
const DELETE_BY_AURA_ID = `
WITH target AS (SELECT aura_id, channel, user_type FROM aura_users WHERE aura_id = $1),
deleted AS (
  DELETE FROM aura_users u USING target t
  WHERE u.aura_id = t.aura_id AND ($2::varchar IS NULL OR t.channel = $2::varchar)
  RETURNING u.aura_id
)
SELECT t.channel, t.user_type, EXISTS (SELECT 1 FROM deleted) AS deleted FROM target t`;

const DELETE_BY_KERNEL_SESSION = `
WITH deleted AS (
  DELETE FROM aura_users WHERE channel = $1 AND user_id = $2 AND authorization_id = $3 RETURNING 1
)
SELECT count(*)::int AS count FROM deleted`;

const LAST_VALID_AURA_ID: Statement = {
  name: 'users_last_valid_aura_id',
  text: `
SELECT aura_id, aura_id_global, channel, expires_at FROM aura_users
WHERE aura_id_global = $1 AND channel = $2 AND expires_at > now()
ORDER BY created_at DESC, aura_id DESC
LIMIT 1`,
};

const ERASE_BY_PHONE_NUMBER = `
WITH erased AS (DELETE FROM aura_users WHERE phone_number = $1 RETURNING aura_id, channel)
SELECT aura_id, channel FROM erased`;

/**
 * One batch of the sweep. SKIP LOCKED lets several replicas sweep at once without waiting on
 * each other or deleting a row twice.
 */
const DELETE_EXPIRED_BATCH = `
WITH doomed AS (
  SELECT aura_id FROM aura_users
  WHERE expires_at < now() - make_interval(days => $1::int)
  ORDER BY expires_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), deleted AS (
  DELETE FROM aura_users u USING doomed d WHERE u.aura_id = d.aura_id RETURNING 1
)
SELECT count(*)::int AS count FROM deleted`;

export class AuthorizationAlreadyLinkedError extends Error {}

type Flagged = UserRow & { created: boolean; expired: boolean };

/**
 * Every query on `aura_users`. Each request is served by one SQL statement returning only the columns
 * needed, without entity hydration (a get-or-create that finds an expired record adds a second one).
 */
@Injectable()
export class UsersRepository {
  /** The pg pool, on PostgreSQL; the embedded database has none that could be shared safely. */
  private readonly pool: Pool | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.pool = config.isEmbeddedDatabase ? undefined : ((dataSource.driver as PostgresDriver).master as Pool);
  }

  async findByAuraId(auraId: string): Promise<UserLookup | undefined> {
    const [row] = await this.run<UserRow & { expired: boolean }>(FIND_BY_AURA_ID, [auraId]);
    return row === undefined ? undefined : { user: row, expired: row.expired };
  }

  /** Undefined when a concurrent insert or replacement of the same user was not yet visible: run it again. */
  async getOrCreateKernelUser(
    user: NewKernelUser,
    ttlDays: number,
    manager?: EntityManager,
  ): Promise<UpsertedUser | undefined> {
    const parameters = [
      user.auraId,
      user.auraIdGlobal,
      user.userId,
      user.channel,
      user.subscriptionType,
      user.phoneNumber,
      user.authorizationId,
      user.expiresAt,
      ttlDays,
    ];
    const [row] = await this.run<Flagged>(GET_OR_CREATE_KERNEL_USER, parameters, manager);
    if (row?.expired !== true) {
      return row === undefined ? undefined : { user: row, created: row.created };
    }
    const [replaced] = await this.run<UserRow>(REPLACE_EXPIRED_KERNEL_USER, parameters, manager);
    return replaced === undefined ? undefined : { user: replaced, created: true };
  }

  /**
   * The record of that auraId, created (or, expired in the same channel, renewed) as identifiable.
   * A record of another channel is returned as it is. Undefined: a concurrent change was not yet visible.
   */
  async getOrCreateIdentifiableUser(user: NewIdentifiableUser, ttlDays: number): Promise<UpsertedUser | undefined> {
    const parameters = [user.auraId, user.auraIdGlobal, user.userId, user.channel, user.phoneNumber, ttlDays];
    const [row] = await this.run<Flagged>(GET_OR_CREATE_IDENTIFIABLE_USER, parameters);
    if (row === undefined || !row.expired || row.channel !== user.channel) {
      return row === undefined ? undefined : { user: row, created: row.created };
    }
    const [replaced] = await this.run<UserRow>(REPLACE_EXPIRED_IDENTIFIABLE_USER, parameters);
    return replaced === undefined ? undefined : { user: replaced, created: true };
  }

  /**
   * Undefined when the auraId belongs to another channel. Throws AuthorizationAlreadyLinkedError when
   * the channel already has another auraId for that Kernel user and authorization.
   */
  async upsertAuthenticatedUser(user: AuthenticatedUserFields, ttlDays: number): Promise<UpsertedUser | undefined> {
    try {
      const [row] = await this.run<UserRow & { created: boolean }>(UPSERT_AUTHENTICATED_USER, [
        user.auraId,
        user.auraIdGlobal,
        user.userId,
        user.channel,
        user.subscriptionType,
        user.phoneNumber,
        user.authorizationId,
        JSON.stringify(user.authenticationContext),
        user.expiresAt,
        ttlDays,
        user.kernelAuraIdGlobal,
      ]);
      return row === undefined ? undefined : { user: row, created: row.created };
    } catch (error) {
      if (isUniqueViolation(error, AUTHORIZATION_CONSTRAINT)) {
        throw new AuthorizationAlreadyLinkedError();
      }
      throw error;
    }
  }

  /** Deletes the record of that auraId; with `channel`, only if it belongs to that channel. */
  async deleteByAuraId(auraId: string, channel: string | null, manager: EntityManager): Promise<DeletedUser> {
    const rows: { channel: string; user_type: UserType; deleted: boolean }[] = await manager.query(DELETE_BY_AURA_ID, [
      auraId,
      channel,
    ]);
    const row = rows[0];
    return row === undefined
      ? { channel: null, userType: null, deleted: false }
      : { channel: row.channel, userType: row.user_type, deleted: row.deleted };
  }

  /** Deletes the record of a Kernel session (channel, Kernel user, authorization); how many went. */
  async deleteByKernelSession(
    session: { channel: string; userId: string; authorizationId: string },
    manager: EntityManager,
  ): Promise<number> {
    const rows: { count: number }[] = await manager.query(DELETE_BY_KERNEL_SESSION, [
      session.channel,
      session.userId,
      session.authorizationId,
    ]);
    return rows[0]?.count ?? 0;
  }

  async findLastValidAuraId(auraIdGlobal: string, channel: string): Promise<LastValidAuraId | undefined> {
    const [row] = await this.run<LastValidAuraId>(LAST_VALID_AURA_ID, [auraIdGlobal, channel]);
    return row;
  }

  /**
   * Deletes every record of the person with that (E.164) phone number, in every channel, inside the
   * caller's transaction. Returns the auraIds erased, so that data keyed by auraId can be erased with them.
   */
  async eraseByPhoneNumber(phoneNumber: string, manager: EntityManager): Promise<ErasedUsers> {
    const rows: { aura_id: string; channel: string }[] = await manager.query(ERASE_BY_PHONE_NUMBER, [phoneNumber]);
    return {
      count: rows.length,
      auraIds: rows.map((row) => row.aura_id),
      channels: [...new Set(rows.map((row) => row.channel))].sort(),
    };
  }

  /** Deletes up to `batchSize` records expired for more than `retentionDays`; returns how many. */
  async deleteExpiredBatch(retentionDays: number, batchSize: number): Promise<number> {
    const rows: { count: number }[] = await this.dataSource.query(DELETE_EXPIRED_BATCH, [retentionDays, batchSize]);
    return rows[0]?.count ?? 0;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Within a transaction (`manager`), on its connection; otherwise as a prepared statement on the pool. */
  private async run<T extends QueryResultRow>(
    statement: Statement,
    values: unknown[],
    manager?: EntityManager,
  ): Promise<T[]> {
    if (manager !== undefined) {
      return manager.query<T[]>(statement.text, values);
    }
    if (this.pool === undefined) {
      return this.dataSource.query<T[]>(statement.text, values);
    }
    return (await this.pool.query<T>({ name: statement.name, text: statement.text, values })).rows;
  }
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driverError = (error instanceof QueryFailedError ? error.driverError : error) as {
    code?: unknown;
    constraint?: unknown;
    message?: unknown;
  } | null;
  return (
    driverError?.code === UNIQUE_VIOLATION &&
    (driverError.constraint === constraint ||
      (typeof driverError.message === 'string' && driverError.message.includes(constraint)))
  );
}

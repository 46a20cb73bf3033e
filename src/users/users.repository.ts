import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { AppConfig } from 'src/config/app-config';
import { type SubscriptionType, UserType } from 'src/users/user.entity';
import {
  FIND_BY_AURA_ID,
  GET_OR_CREATE_KERNEL_USER,
  REPLACE_EXPIRED_KERNEL_USER,
  GET_OR_CREATE_IDENTIFIABLE_USER,
  REPLACE_EXPIRED_IDENTIFIABLE_USER,
  UPSERT_AUTHENTICATED_USER,
  DELETE_BY_AURA_ID,
  DELETE_BY_KERNEL_SESSION,
  LAST_VALID_AURA_ID,
  ERASE_BY_PHONE_NUMBER,
  DELETE_EXPIRED_BATCH,
  type Statement,
} from 'src/users/users.sql';

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

/** The audit row a logout writes with the deletion. */
export interface DeletionAudit {
  action: string;
  actorKeyId: string | null;
  subjectHash: string;
  requestId: string;
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

export class AuthorizationAlreadyLinkedError extends Error {}

export class AuraIdTakenError extends Error {}

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
    try {
      const [row] = await this.run<Flagged>(GET_OR_CREATE_KERNEL_USER, parameters, manager);
      if (row?.expired !== true) {
        return row === undefined ? undefined : { user: row, created: row.created };
      }
      const [replaced] = await this.run<UserRow>(REPLACE_EXPIRED_KERNEL_USER, parameters, manager);
      return replaced === undefined ? undefined : { user: replaced, created: true };
    } catch (error) {
      // The session key conflicts are handled in SQL: a unique violation left is the auraId itself.
      if (isUniqueViolation(error)) {
        throw new AuraIdTakenError();
      }
      throw error;
    }
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

  /** Deletes the record of that auraId (with `channel`, only if it is that channel's) and audits it, atomically. */
  async deleteByAuraId(auraId: string, channel: string | null, audit: DeletionAudit): Promise<DeletedUser> {
    const [row] = await this.run<{ channel: string; user_type: UserType; deleted: boolean }>(DELETE_BY_AURA_ID, [
      auraId,
      channel,
      audit.action,
      audit.actorKeyId,
      audit.subjectHash,
      audit.requestId,
    ]);
    return row === undefined
      ? { channel: null, userType: null, deleted: false }
      : { channel: row.channel, userType: row.user_type, deleted: row.deleted };
  }

  /** Deletes the channel's record of a Kernel session, or of that auraId; how many went. */
  async deleteByKernelSession(
    session: { channel: string; userId: string; authorizationId: string; auraId?: string },
    manager: EntityManager,
  ): Promise<number> {
    const rows: { count: number }[] = await manager.query(DELETE_BY_KERNEL_SESSION, [
      session.channel,
      session.userId,
      session.authorizationId,
      session.auraId ?? null,
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

/** A unique violation (of `constraint`, when given). */
function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driverError = (error instanceof QueryFailedError ? error.driverError : error) as {
    code?: unknown;
    constraint?: unknown;
    message?: unknown;
  } | null;
  return (
    driverError?.code === UNIQUE_VIOLATION &&
    (constraint === undefined ||
      driverError.constraint === constraint ||
      (typeof driverError.message === 'string' && driverError.message.includes(constraint)))
  );
}

import { Injectable } from '@nestjs/common';
import { Database, isUniqueViolation, type Tx } from 'src/database/database';
import { PersonalDataCipher, SealedColumn } from 'src/users/personal-data';
import { PhoneNumbers } from 'src/users/phone-numbers';
import type { SubscriptionType, UserType } from 'src/users/user.entity';
import {
  FIND_BY_AURA_ID,
  GET_OR_CREATE_KERNEL_USER,
  REPLACE_EXPIRED_KERNEL_USER,
  GET_OR_CREATE_IDENTIFIABLE_USER,
  REPLACE_EXPIRED_IDENTIFIABLE_USER,
  UPSERT_AUTHENTICATED_USER,
  DELETE_BY_AURA_ID_AND_AUDIT,
  DELETE_BY_KERNEL_SESSION,
  LAST_VALID_AURA_ID,
  ERASE_BY_PHONE_NUMBER,
  DELETE_EXPIRED_BATCH,
  STALE_SEALED_BATCH,
  COUNT_STALE_SEALED,
  RESEAL,
  CREATE_DEVICE_USER,
  type DeletionAudit,
  type LastValidAuraId,
  type SealedPersonalData,
  type StoredUserRow,
} from 'src/users/users.sql';

export type { DeletionAudit, LastValidAuraId } from 'src/users/users.sql';

/** A user as read from `aura_users`: the columns a response needs, nothing else. */
export interface UserRow extends Omit<StoredUserRow, 'authentication_context'> {
  authentication_context: Record<string, unknown> | null;
}

/** One pass of `pii reencrypt`. */
export interface ResealBatch {
  /** Records seen with a value under an older key. */
  found: number;
  /** Of those, re-sealed (the others changed meanwhile, so already carry the current key). */
  resealed: number;
  /** The keyset cursor to resume after; null when the table has been walked to its end. */
  last: string | null;
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

/** An authenticated user signed in from a GVP device, and the device's link to it. */
export interface NewDeviceUser extends NewUserFields {
  authorizationId: string | null;
  subscriptionType: SubscriptionType | null;
  deviceId: string;
  /** Keyed hash of the subscriber the device signed in as. */
  subscriberHash: string;
  /** auraId the device's current link points at and that may be replaced (expired, another subscriber); null: none. */
  replacing: string | null;
}

export interface DeletedUser {
  /** Channel of the record found, if any (it may be left in place when it belongs to another channel). */
  channel: string | null;
  userType: UserType | null;
  deleted: boolean;
}

export interface ErasedUsers {
  /** The blind index the erasure matched (kept in its audit row, to redo it on a restored backup). */
  phoneIndex: string;
  count: number;
  auraIds: string[];
  channels: string[];
}

const AUTHORIZATION_CONSTRAINT = 'uq_aura_users_channel_user_authorization';

export class AuthorizationAlreadyLinkedError extends Error {}

export class AuraIdTakenError extends Error {}

/**
 * Every query on `aura_users`. Each request is served by one SQL statement returning only the columns
 * needed, without entity hydration (a get-or-create that finds an expired record adds a second one).
 */
@Injectable()
export class UsersRepository {
  constructor(
    private readonly db: Database,
    private readonly pii: PersonalDataCipher,
    private readonly phoneNumbers: PhoneNumbers,
  ) {}

  async findByAuraId(auraId: string): Promise<UserLookup | undefined> {
    const row = await this.db.one(FIND_BY_AURA_ID, { auraId });
    return row === undefined ? undefined : { user: this.unseal(row), expired: row.expired };
  }

  /** Undefined when a concurrent insert or replacement of the same user was not yet visible: run it again. */
  async getOrCreateKernelUser(user: NewKernelUser, ttlDays: number, tx?: Tx): Promise<UpsertedUser | undefined> {
    const record = { user, personal: this.sealed(user.phoneNumber, [user.userId]), ttlDays };
    try {
      const row = await this.db.one(GET_OR_CREATE_KERNEL_USER, record, tx);
      if (row?.expired !== true) {
        return row === undefined ? undefined : { user: this.unseal(row), created: row.created };
      }
      const replaced = await this.db.one(REPLACE_EXPIRED_KERNEL_USER, record, tx);
      return replaced === undefined ? undefined : { user: this.unseal(replaced), created: true };
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
    const record = { user, personal: this.sealed(user.phoneNumber, [user.auraId]), ttlDays };
    const row = await this.db.one(GET_OR_CREATE_IDENTIFIABLE_USER, record);
    if (row === undefined || !row.expired || row.channel !== user.channel) {
      return row === undefined ? undefined : { user: this.unseal(row), created: row.created };
    }
    const replaced = await this.db.one(REPLACE_EXPIRED_IDENTIFIABLE_USER, record);
    return replaced === undefined ? undefined : { user: this.unseal(replaced), created: true };
  }

  /**
   * Undefined when the auraId belongs to another channel. Throws AuthorizationAlreadyLinkedError when
   * the channel already has another auraId for that Kernel user and authorization.
   */
  async upsertAuthenticatedUser(user: AuthenticatedUserFields, ttlDays: number): Promise<UpsertedUser | undefined> {
    try {
      const row = await this.db.one(UPSERT_AUTHENTICATED_USER, {
        user,
        personal: this.sealed(user.phoneNumber, [user.auraId, user.userId, user.authenticationContext]),
        sealedAuthenticationContext: this.pii.seal(
          SealedColumn.AuthenticationContext,
          JSON.stringify(user.authenticationContext),
        ),
        ttlDays,
      });
      return row === undefined ? undefined : { user: this.unseal(row), created: row.created };
    } catch (error) {
      if (isUniqueViolation(error, AUTHORIZATION_CONSTRAINT)) {
        throw new AuthorizationAlreadyLinkedError();
      }
      throw error;
    }
  }

  /** Deletes the record of that auraId (with `channel`, only if it is that channel's) and audits it, atomically. */
  async deleteByAuraId(auraId: string, channel: string | null, audit: DeletionAudit): Promise<DeletedUser> {
    const row = await this.db.one(DELETE_BY_AURA_ID_AND_AUDIT, { auraId, channel, audit });
    return row === undefined
      ? { channel: null, userType: null, deleted: false }
      : { channel: row.channel, userType: row.user_type, deleted: row.deleted };
  }

  /** Deletes the channel's record of a Kernel session, or of that auraId; how many went. */
  async deleteByKernelSession(
    session: { channel: string; userId: string; authorizationId: string; auraId?: string },
    tx: Tx,
  ): Promise<number> {
    const { channel, userId, authorizationId, auraId = null } = session;
    const row = await this.db.one(DELETE_BY_KERNEL_SESSION, { channel, userId, authorizationId, auraId }, tx);
    return row?.count ?? 0;
  }

  findLastValidAuraId(auraIdGlobal: string, channel: string): Promise<LastValidAuraId | undefined> {
    return this.db.one(LAST_VALID_AURA_ID, { auraIdGlobal, channel });
  }

  /**
   * Deletes every record of the person with that (E.164) phone number, in every channel, inside the
   * caller's transaction. Returns the auraIds erased, so that data keyed by auraId can be erased with them.
   */
  async eraseByPhoneNumber(phoneNumber: string, tx: Tx): Promise<ErasedUsers> {
    const phoneIndex = this.pii.phoneIndex(phoneNumber);
    const rows = await this.db.run(ERASE_BY_PHONE_NUMBER, { phoneIndex }, tx);
    return {
      phoneIndex,
      count: rows.length,
      auraIds: rows.map((row) => row.aura_id),
      channels: [...new Set(rows.map((row) => row.channel))].sort(),
    };
  }

  /** Deletes up to `batchSize` records expired for more than `retentionDays`; returns how many. */
  async deleteExpiredBatch(retentionDays: number, batchSize: number): Promise<number> {
    const row = await this.db.one(DELETE_EXPIRED_BATCH, { retentionDays, batchSize });
    return row?.count ?? 0;
  }

  /**
   * Creates the user and links the device to it, atomically (one statement). Undefined when a concurrent
   * sign-in of the same device linked it first: read the link again.
   */
  async createDeviceUser(user: NewDeviceUser, ttlDays: number): Promise<UserRow | undefined> {
    const row = await this.db.one(CREATE_DEVICE_USER, {
      user,
      personal: this.sealed(user.phoneNumber, [user.userId]),
      ttlDays,
    });
    return row === undefined ? undefined : this.unseal(row);
  }

  /** Records with a value sealed under another key than the current one. */
  async countStaleSealed(): Promise<number> {
    const row = await this.db.one(COUNT_STALE_SEALED, { currentKid: this.pii.currentKid });
    return row?.count ?? 0;
  }

  /**
   * Re-seals under the current key up to `batchSize` records after `after` (keyset order). Each record is
   * one compare-and-set update: a value rewritten by a request meanwhile is left as the request wrote it.
   * A value that cannot be opened (its key left the ring) stops the run with PersonalDataError.
   */
  async resealBatch(after: string, batchSize: number): Promise<ResealBatch> {
    const rows = await this.db.run(STALE_SEALED_BATCH, { currentKid: this.pii.currentKid, after, batchSize });
    let resealed = 0;
    for (const row of rows) {
      const phone = this.pii.openNullable(SealedColumn.PhoneNumber, row.phone_number);
      const context = this.pii.openNullable(SealedColumn.AuthenticationContext, row.authentication_context);
      const updated = await this.db.one(RESEAL, {
        auraId: row.aura_id,
        phoneNumber: row.phone_number,
        authenticationContext: row.authentication_context,
        resealedPhoneNumber: this.pii.sealNullable(SealedColumn.PhoneNumber, phone),
        resealedAuthenticationContext: this.pii.sealNullable(SealedColumn.AuthenticationContext, context),
      });
      resealed += updated?.count ?? 0;
    }
    return { found: rows.length, resealed, last: rows.length < batchSize ? null : rows[rows.length - 1].aura_id };
  }

  /** The stored row with its personal data opened; a value that cannot be opened throws (fails closed). */
  private unseal<T extends StoredUserRow>(row: T): Omit<T, 'authentication_context'> & UserRow {
    const context = this.pii.openNullable(SealedColumn.AuthenticationContext, row.authentication_context);
    return {
      ...row,
      phone_number: this.pii.openNullable(SealedColumn.PhoneNumber, row.phone_number),
      authentication_context: context === null ? null : (JSON.parse(context) as Record<string, unknown>),
    };
  }

  /** The phone number sealed, its blind index, and those of the other numbers written in `values`. */
  private sealed(phoneNumber: string | null, values: unknown[]): SealedPersonalData {
    return {
      sealedPhoneNumber: this.pii.sealNullable(SealedColumn.PhoneNumber, phoneNumber),
      phoneIndex: phoneNumber === null ? null : this.pii.phoneIndex(phoneNumber),
      phoneMentions: this.phoneNumbers
        .findAll(values)
        .filter((number) => number !== phoneNumber)
        .map((number) => this.pii.phoneIndex(number)),
    };
  }
}

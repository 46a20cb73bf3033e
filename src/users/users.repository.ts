import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Raw, type Repository } from 'typeorm';
import { Database, isUniqueViolation, onTx, type Tx } from 'src/database/database';
import { AuraUser, type SubscriptionType, UserType } from 'src/users/user.entity';
import { type StoredUserRow, UserSealing, type UserRow } from 'src/users/user-sealing';
import {
  FIND_BY_AURA_ID,
  GET_OR_CREATE_KERNEL_USER,
  REPLACE_EXPIRED_KERNEL_USER,
  GET_OR_CREATE_IDENTIFIABLE_USER,
  REPLACE_EXPIRED_IDENTIFIABLE_USER,
  UPSERT_AUTHENTICATED_USER,
  DELETE_BY_AURA_ID_AND_AUDIT,
  ERASE_BY_PHONE_NUMBER,
  DELETE_EXPIRED_BATCH,
  COLUMNS,
  type DeletionAudit,
} from 'src/users/users.sql';

export type { DeletionAudit } from 'src/users/users.sql';
export type { UserRow } from 'src/users/user-sealing';

/** The last valid auraId of an auraIdGlobal in a channel. */
export interface LastValidAuraId {
  aura_id: string;
  aura_id_global: string;
  channel: string;
  expires_at: Date;
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

/** An authenticated user signed in from a GVP device (the device's link to it is the GVP repository's). */
export interface NewDeviceUser extends NewUserFields {
  authorizationId: string | null;
  subscriptionType: SubscriptionType | null;
  deviceId: string;
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

/** A record whose personal data is sealed under another key than the current one (`pii reencrypt`). */
const STALE_SEALED =
  "(split_part(u.phone_number, '.', 2) <> :kid OR split_part(u.authentication_context, '.', 2) <> :kid)";

/**
 * Every query on `aura_users`. The request paths (lookup, get-or-creates, upsert, logout), the erasure by
 * blind index and the sweep are statements of users.sql.ts, each one round trip returning only the columns
 * needed (a get-or-create that finds an expired record adds a second one); the cold rest goes through
 * TypeORM's repository. Personal data is sealed and opened by UserSealing.
 */
@Injectable()
export class UsersRepository {
  constructor(
    @InjectRepository(AuraUser) private readonly users: Repository<AuraUser>,
    private readonly db: Database,
    private readonly sealing: UserSealing,
  ) {}

  async findByAuraId(auraId: string): Promise<UserLookup | undefined> {
    const row = await this.db.one(FIND_BY_AURA_ID, { auraId });
    return row === undefined ? undefined : { user: this.sealing.unseal(row), expired: row.expired };
  }

  /** Undefined when a concurrent insert or replacement of the same user was not yet visible: run it again. */
  async getOrCreateKernelUser(user: NewKernelUser, ttlDays: number, tx?: Tx): Promise<UpsertedUser | undefined> {
    const record = { user, personal: this.sealing.sealed(user.phoneNumber, [user.userId]), ttlDays };
    try {
      const row = await this.db.one(GET_OR_CREATE_KERNEL_USER, record, tx);
      if (row?.expired !== true) {
        return row === undefined ? undefined : { user: this.sealing.unseal(row), created: row.created };
      }
      const replaced = await this.db.one(REPLACE_EXPIRED_KERNEL_USER, record, tx);
      return replaced === undefined ? undefined : { user: this.sealing.unseal(replaced), created: true };
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
    const record = { user, personal: this.sealing.sealed(user.phoneNumber, [user.auraId]), ttlDays };
    const row = await this.db.one(GET_OR_CREATE_IDENTIFIABLE_USER, record);
    if (row === undefined || !row.expired || row.channel !== user.channel) {
      return row === undefined ? undefined : { user: this.sealing.unseal(row), created: row.created };
    }
    const replaced = await this.db.one(REPLACE_EXPIRED_IDENTIFIABLE_USER, record);
    return replaced === undefined ? undefined : { user: this.sealing.unseal(replaced), created: true };
  }

  /**
   * Undefined when the auraId belongs to another channel. Throws AuthorizationAlreadyLinkedError when
   * the channel already has another auraId for that Kernel user and authorization.
   */
  async upsertAuthenticatedUser(user: AuthenticatedUserFields, ttlDays: number): Promise<UpsertedUser | undefined> {
    try {
      const row = await this.db.one(UPSERT_AUTHENTICATED_USER, {
        user,
        personal: this.sealing.sealed(user.phoneNumber, [user.auraId, user.userId, user.authenticationContext]),
        sealedAuthenticationContext: this.sealing.sealContext(user.authenticationContext),
        ttlDays,
      });
      return row === undefined ? undefined : { user: this.sealing.unseal(row), created: row.created };
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
    const result = await onTx(this.users, tx)
      .createQueryBuilder()
      .delete()
      .where(
        'channel = :channel AND ((user_id = :userId AND authorization_id = :authorizationId) OR aura_id = :auraId)',
        {
          channel,
          userId,
          authorizationId,
          auraId,
        },
      )
      .execute();
    return result.affected ?? 0;
  }

  async findLastValidAuraId(auraIdGlobal: string, channel: string): Promise<LastValidAuraId | undefined> {
    const user = await this.users.findOne({
      select: { auraId: true, auraIdGlobal: true, channel: true, expiresAt: true },
      where: { auraIdGlobal, channel, expiresAt: Raw((column) => `${column} > now()`) },
      order: { createdAt: 'DESC', auraId: 'DESC' },
    });
    return user === null
      ? undefined
      : { aura_id: user.auraId, aura_id_global: user.auraIdGlobal, channel: user.channel, expires_at: user.expiresAt };
  }

  /**
   * Deletes every record of the person with that (E.164) phone number, in every channel, inside the
   * caller's transaction. Returns the auraIds erased, so that data keyed by auraId can be erased with them.
   */
  async eraseByPhoneNumber(phoneNumber: string, tx: Tx): Promise<ErasedUsers> {
    const phoneIndex = this.sealing.phoneIndex(phoneNumber);
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
   * Creates a user signed in from a GVP device, in the caller's transaction: the GVP repository links the device
   * to it in the same one.
   */
  async createDeviceUser(user: NewDeviceUser, ttlDays: number, tx: Tx): Promise<UserRow> {
    const personal = this.sealing.sealed(user.phoneNumber, [user.userId]);
    const result = await onTx(this.users, tx)
      .createQueryBuilder()
      .insert()
      .values({
        auraId: user.auraId,
        auraIdGlobal: user.auraIdGlobal,
        userId: user.userId,
        channel: user.channel,
        userType: UserType.Authenticated,
        subscriptionType: user.subscriptionType,
        phoneNumber: personal.sealedPhoneNumber,
        phoneNumberIndex: personal.phoneIndex,
        phoneMentions: personal.phoneMentions,
        authorizationId: user.authorizationId,
        deviceId: user.deviceId,
        // The database clock, as for every other record.
        expiresAt: () => 'now() + make_interval(days => CAST(:ttlDays AS int))',
      })
      .setParameter('ttlDays', ttlDays)
      .returning(COLUMNS)
      .execute();
    const [row] = result.raw as StoredUserRow[];
    return this.sealing.unseal(row);
  }

  /** Records with a value sealed under another key than the current one. */
  countStaleSealed(): Promise<number> {
    return this.users.createQueryBuilder('u').where(STALE_SEALED, { kid: this.sealing.currentKid }).getCount();
  }

  /**
   * Re-seals under the current key up to `batchSize` records after `after` (keyset order). Each record is
   * one compare-and-set update: a value rewritten by a request meanwhile is left as the request wrote it.
   * A value that cannot be opened (its key left the ring) stops the run with PersonalDataError.
   */
  async resealBatch(after: string, batchSize: number): Promise<ResealBatch> {
    const rows = await this.users
      .createQueryBuilder('u')
      .select(['u.auraId', 'u.phoneNumber', 'u.authenticationContext'])
      .where('u.aura_id > :after', { after })
      .andWhere(STALE_SEALED, { kid: this.sealing.currentKid })
      .orderBy('u.auraId')
      .limit(batchSize)
      .getMany();
    let resealed = 0;
    for (const row of rows) {
      const next = this.sealing.reseal(row);
      const result = await this.users
        .createQueryBuilder()
        .update()
        .set(next)
        .where('aura_id = :auraId', { auraId: row.auraId })
        .andWhere('phone_number IS NOT DISTINCT FROM :phoneNumber', { phoneNumber: row.phoneNumber })
        .andWhere('authentication_context IS NOT DISTINCT FROM :context', { context: row.authenticationContext })
        .execute();
      resealed += result.affected ?? 0;
    }
    return { found: rows.length, resealed, last: rows.length < batchSize ? null : rows[rows.length - 1].auraId };
  }
}

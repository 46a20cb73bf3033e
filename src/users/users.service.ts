import { Injectable } from '@nestjs/common';
import type { Caller } from 'src/auth/caller';
import { AuditAction, AuditService } from 'src/audit/audit.service';
import { UsersSettings } from 'src/users/users.settings';
import type { Tx } from 'src/database/database';
import { ChannelAccess } from 'src/auth/channel-access';
import type { CreateAuthenticatedUserDto } from 'src/users/dto/create-authenticated-user.dto';
import type { GetOrCreateUserQueryDto, IdentifiableUserQueryDto } from 'src/users/dto/user-queries.dto';
import {
  type LastAuraIdResponseDto,
  toLastAuraIdResponse,
  toUserResponse,
  type UserResponseDto,
} from 'src/users/dto/user.response.dto';
import { PersonalDataCipher } from 'src/users/personal-data';
import { invalidField } from 'src/common/errors/common.errors';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { deriveAuraIdGlobal, deriveIdentifiers, generateAuraId } from 'src/users/user-identifiers';
import { type SubscriptionType, UserType } from 'src/users/user.entity';
import { UsersError, UsersErrorCode } from 'src/users/users.errors';
import { UsersMetrics } from 'src/users/users.metrics';
import {
  AuraIdTakenError,
  AuthorizationAlreadyLinkedError,
  type ErasedUsers,
  type UpsertedUser,
  UsersRepository,
} from 'src/users/users.repository';

const DAY_MS = 86_400_000;
/** A session expiry further away than this is a mistake, not a session. */
const MAX_EXPIRY_DAYS = 3650;
/** The database's bound on a stored authentication context (chk_aura_users_authentication_context_size). */
const MAX_CONTEXT_BYTES = 8192;
/** A get-or-create that lost a race sees the winner's row on its next try. */
const GET_OR_CREATE_ATTEMPTS = 3;

/** A Kernel authentication session, as Kernel's callbacks describe it. */
export interface KernelSession {
  /** The auraId to give a new record; generated when absent. */
  auraId?: string;
  channel: string;
  userId: string;
  authorizationId: string;
  auraIdGlobal?: string;
  phoneNumber?: string;
  subscriptionType?: SubscriptionType;
}

export interface GetOrCreateOutcome {
  created: boolean;
  user: UserResponseDto;
}

@Injectable()
export class UsersService {
  private readonly ttlDays: number;
  private readonly defaultChannel: string;

  constructor(
    private readonly users: UsersRepository,
    private readonly phoneNumbers: PhoneNumbers,
    private readonly channels: ChannelAccess,
    private readonly audit: AuditService,
    private readonly metrics: UsersMetrics,
    private readonly pii: PersonalDataCipher,
    config: UsersSettings,
  ) {
    this.ttlDays = config.USER_TTL_DAYS;
    this.defaultChannel = config.DEFAULT_CHANNEL;
  }

  /**
   * A logged-in user: authenticated and still valid. Anonymous users — no record, or an identifiable one —
   * get the same 404 (aura-bot branches on 404 = anonymous, 200 = logged in); an expired login is a 404 too.
   */
  async getUser(auraId: string, caller: Caller): Promise<UserResponseDto> {
    const found = await this.users.findByAuraId(auraId);
    if (
      found === undefined ||
      found.user.user_type !== UserType.Authenticated ||
      this.channels.hides(caller, found.user.channel)
    ) {
      throw UsersError.notFound();
    }
    if (found.expired) {
      throw UsersError.expired();
    }
    return toUserResponse(found.user);
  }

  /** The record behind a browser session, valid or expired (docs/sessions.md); undefined once it is gone. */
  async findForSession(auraId: string): Promise<{ user: UserResponseDto; expired: boolean } | undefined> {
    const found = await this.users.findByAuraId(auraId);
    return found === undefined ? undefined : { user: toUserResponse(found.user), expired: found.expired };
  }

  /** Kernel channels with their own authentication: the valid user of that Kernel session, created if needed. */
  async getOrCreateUser(query: GetOrCreateUserQueryDto, caller: Caller): Promise<GetOrCreateOutcome> {
    const channel = this.channels.resolve(caller, query.channel);
    const phoneNumber = this.optionalPhoneNumber(query.phoneNumber, 'phoneNumber');
    const expiresAt = this.optionalExpiry(query.expiresAt, 'expiresAt');
    const auraIdGlobal = query.auraIdGlobal ?? deriveAuraIdGlobal(this.pii, { phoneNumber, userId: query.userId });
    return this.untilSettled(() =>
      this.users.getOrCreateKernelUser(
        {
          auraId: generateAuraId(),
          auraIdGlobal,
          userId: query.userId,
          channel,
          phoneNumber,
          authorizationId: query.authorizationId,
          subscriptionType: query.subscriptionType ?? null,
          expiresAt,
        },
        this.ttlDays,
      ),
    );
  }

  /** Externally authenticated channels (WhatsApp): the record of that auraId, created as identifiable if needed. */
  async getOrCreateIdentifiableUser(
    auraId: string,
    query: IdentifiableUserQueryDto,
    caller: Caller,
  ): Promise<GetOrCreateOutcome> {
    const channel = this.channels.resolve(caller, query.channel, this.defaultChannel);
    const phoneNumber = this.optionalPhoneNumber(query.phoneNumber, 'phoneNumber');
    const derived = deriveIdentifiers(this.pii, { phoneNumber, channel, auraId });
    const fields = { auraId, channel, phoneNumber, ...derived };
    const outcome = await this.untilSettled(() => this.users.getOrCreateIdentifiableUser(fields, this.ttlDays));
    if (outcome.user.channel !== channel) {
      this.channels.assertMayWrite(caller, outcome.user.channel);
      // Seed 000's call names no channel: DEFAULT_CHANNEL only creates, an existing record is answered as it is.
      if (query.channel === undefined && this.channels.boundChannel(caller) === null) {
        return outcome;
      }
      throw channelConflict();
    }
    return outcome;
  }

  /** After the OTP login: the record becomes (or is created as) authenticated with Kernel's context. */
  async createAuthenticatedUser(
    auraId: string,
    body: CreateAuthenticatedUserDto,
    caller: Caller,
  ): Promise<UserResponseDto> {
    const channel = await this.channelOfLogin(auraId, body, caller);
    const { additionalFields, ...context } = body.authenticationContext;
    const phoneNumber = this.optionalPhoneNumber(context.phoneNumber, 'authenticationContext.phoneNumber');
    const expiresAt = this.optionalExpiry(context.expiresAt, 'authenticationContext.expiresAt');
    const storedContext: Record<string, unknown> = { ...additionalFields, ...context };
    if (phoneNumber !== null) {
      storedContext.phoneNumber = phoneNumber;
    }
    if (storedSize(storedContext) > MAX_CONTEXT_BYTES) {
      throw invalidField(
        'authenticationContext',
        `authenticationContext must be at most ${MAX_CONTEXT_BYTES} bytes as JSON`,
      );
    }
    let outcome: UpsertedUser | undefined;
    const fields = {
      auraId,
      auraIdGlobal: context.auraIdGlobal ?? deriveAuraIdGlobal(this.pii, { phoneNumber, userId: context.userId }),
      kernelAuraIdGlobal: context.auraIdGlobal ?? null,
      userId: context.userId,
      channel,
      phoneNumber,
      authorizationId: context.authorizationId,
      subscriptionType: context.subscriptionType ?? null,
      authenticationContext: storedContext,
      expiresAt,
    };
    try {
      outcome = await this.users.upsertAuthenticatedUser(fields, this.ttlDays);
    } catch (error) {
      if (error instanceof AuthorizationAlreadyLinkedError) {
        throw new UsersError(
          UsersErrorCode.AuthorizationConflict,
          'That Kernel authorization is already linked to another auraId of the channel.',
        );
      }
      throw error;
    }
    if (outcome === undefined) {
      const existing = await this.users.findByAuraId(auraId);
      if (existing !== undefined) {
        this.channels.assertMayWrite(caller, existing.user.channel);
      }
      throw channelConflict();
    }
    if (outcome.created) {
      this.metrics.userCreated(channel, UserType.Authenticated);
    }
    return toUserResponse(outcome.user);
  }

  /** Logout: the record goes, and an audit row (auraId hashed) records it. Deleting nothing is not an error. */
  async deleteUser(auraId: string, caller: Caller, requestId: string): Promise<void> {
    const outcome = await this.users.deleteByAuraId(auraId, this.channels.boundChannel(caller), {
      action: AuditAction.UserDeleted,
      actorKeyId: caller.kind === 'api-key' ? caller.id : null,
      subjectHash: this.audit.hashIdentifier(auraId),
      requestId,
    });
    if (outcome.deleted) {
      this.metrics.usersDeleted('logout');
    } else if (outcome.channel !== null) {
      // Another channel's record stays, and the answer is the one for a record that does not exist.
      this.channels.hides(caller, outcome.channel);
    }
  }

  /** The most recently created, still valid auraId of that auraIdGlobal in the channel. */
  async getLastAuraId(
    auraIdGlobal: string,
    requestedChannel: string | undefined,
    caller: Caller,
  ): Promise<LastAuraIdResponseDto> {
    const channel = this.channels.resolve(caller, requestedChannel);
    const row = await this.users.findLastValidAuraId(auraIdGlobal, channel);
    if (row === undefined) {
      throw new UsersError(UsersErrorCode.AuraIdGlobalNotFound, 'No valid auraId of that auraIdGlobal in the channel.');
    }
    return toLastAuraIdResponse(row);
  }

  /** Kernel's login callback: the same get-or-create as `GET /users/aura-id`, inside the caller's transaction. */
  async getOrCreateForKernelSession(session: KernelSession, tx: Tx): Promise<GetOrCreateOutcome> {
    const phoneNumber = this.optionalPhoneNumber(session.phoneNumber, 'phoneNumber');
    const auraIdGlobal = session.auraIdGlobal ?? deriveAuraIdGlobal(this.pii, { phoneNumber, userId: session.userId });
    const attempt = () =>
      this.users.getOrCreateKernelUser(
        {
          auraId: session.auraId ?? generateAuraId(),
          auraIdGlobal,
          userId: session.userId,
          channel: session.channel,
          phoneNumber,
          authorizationId: session.authorizationId,
          subscriptionType: session.subscriptionType ?? null,
          expiresAt: null,
        },
        this.ttlDays,
        tx,
      );
    try {
      return await this.untilSettled(attempt);
    } catch (error) {
      if (error instanceof AuraIdTakenError) {
        throw new UsersError(UsersErrorCode.AuraIdTaken, 'That auraId already belongs to another user record.');
      }
      throw error;
    }
  }

  /** Kernel's logout callback: the channel's record of that session, and of that auraId when one is given. */
  async deleteForKernelSession(session: KernelSession, tx: Tx): Promise<number> {
    const deleted = await this.users.deleteByKernelSession(session, tx);
    this.metrics.usersDeleted('callback_logout', deleted);
    return deleted;
  }

  /** An erasure reaches every channel: a key bound to one channel may not ask for it. */
  assertMayEraseEveryChannel(caller: Caller): void {
    this.channels.assertUnbound(caller);
  }

  /** Every record of the person with that E.164 number, in every channel, within the caller's transaction. */
  eraseByPhoneNumber(phoneNumber: string, tx: Tx): Promise<ErasedUsers> {
    return this.users.eraseByPhoneNumber(phoneNumber, tx);
  }

  /**
   * The channel of an OTP login (docs/users.md): the key's bound channel, else the body's `channel`, else
   * the existing record's, else `authenticationContext.channel`, else DEFAULT_CHANNEL. aura-bot holds an
   * unbound key and sends only `{ authenticationContext }`.
   */
  private async channelOfLogin(auraId: string, body: CreateAuthenticatedUserDto, caller: Caller): Promise<string> {
    if (body.channel !== undefined || this.channels.boundChannel(caller) !== null) {
      return this.channels.resolve(caller, body.channel);
    }
    const existing = await this.users.findByAuraId(auraId);
    return existing?.user.channel ?? body.authenticationContext.channel ?? this.defaultChannel;
  }

  private async untilSettled(attempt: () => Promise<UpsertedUser | undefined>): Promise<GetOrCreateOutcome> {
    for (let tries = 0; tries < GET_OR_CREATE_ATTEMPTS; tries++) {
      const outcome = await attempt();
      if (outcome !== undefined) {
        if (outcome.created) {
          this.metrics.userCreated(outcome.user.channel, outcome.user.user_type);
        }
        return { created: outcome.created, user: toUserResponse(outcome.user) };
      }
    }
    throw new Error(
      `get-or-create found neither a row to return nor one to create after ${GET_OR_CREATE_ATTEMPTS} tries`,
    );
  }

  private optionalPhoneNumber(text: string | undefined, field: string): string | null {
    return text === undefined ? null : this.phoneNumbers.normalize(text, field);
  }

  private optionalExpiry(text: string | undefined, field: string): Date | null {
    if (text === undefined) {
      return null;
    }
    const expiresAt = new Date(text);
    const now = Date.now();
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now) {
      throw invalidField(field, `${field} must be a date in the future`);
    }
    if (expiresAt.getTime() > now + MAX_EXPIRY_DAYS * DAY_MS) {
      throw invalidField(field, `${field} must be at most ${MAX_EXPIRY_DAYS} days ahead`);
    }
    return expiresAt;
  }
}

/** Size of the context as PostgreSQL prints jsonb (a space after every `:` and `,`), counted generously. */
function storedSize(context: Record<string, unknown>): number {
  const json = JSON.stringify(context);
  return Buffer.byteLength(json) + (json.match(/[:,]/g)?.length ?? 0);
}

/** The auraId is taken in another channel (asked with a key bound to no channel, which may know it). */
function channelConflict(): UsersError {
  return new UsersError(UsersErrorCode.ChannelConflict, 'That auraId belongs to a user of another channel.');
}

import { Injectable } from '@nestjs/common';
import { ApiKeyError, ApiKeyErrorCode } from 'src/api-keys/api-keys.errors';
import { AuthFailures } from 'src/common/access/auth-failures';
import type { Caller } from 'src/common/access/caller';
import { invalidField } from 'src/users/phone-numbers';
import { UsersError, UsersErrorCode } from 'src/users/users.errors';

/**
 * Object-level authorisation of user records: a key bound to a channel acts only on that channel's
 * users; an unbound key (aura-bot, Kernel) names the channel it acts on.
 */
@Injectable()
export class ChannelAccess {
  constructor(private readonly failures: AuthFailures) {}

  /** The channel a request acts on: the one asked for, else the key's own. */
  resolve(caller: Caller, requested: string | undefined): string {
    const bound = this.boundChannel(caller);
    if (requested === undefined) {
      if (bound === null) {
        throw invalidField('channel', 'channel is required when the API key is not bound to a channel');
      }
      return bound;
    }
    if (bound !== null && requested !== bound) {
      throw this.forbidden();
    }
    return requested;
  }

  boundChannel(caller: Caller): string | null {
    return caller.key?.channel ?? null;
  }

  /** Refuses a bound key access to a record of another channel. */
  assertCanAccess(caller: Caller, recordChannel: string): void {
    const bound = this.boundChannel(caller);
    if (bound !== null && bound !== recordChannel) {
      throw this.forbidden();
    }
  }

  /** Refuses a bound key an action that spans every channel (GDPR erasure). */
  assertUnbound(caller: Caller): void {
    if (this.boundChannel(caller) !== null) {
      throw this.forbidden();
    }
  }

  /** The auraId is taken in another channel: a bound key may not learn more than "forbidden". */
  conflict(caller: Caller): UsersError | ApiKeyError {
    return this.boundChannel(caller) === null
      ? new UsersError(UsersErrorCode.ChannelConflict, 'That auraId belongs to a user of another channel.')
      : this.forbidden();
  }

  private forbidden(): ApiKeyError {
    this.failures.record('channel_forbidden');
    return new ApiKeyError(
      ApiKeyErrorCode.ChannelForbidden,
      'This API key is bound to another channel than the user or channel of the request.',
    );
  }
}

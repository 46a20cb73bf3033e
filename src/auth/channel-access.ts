import { Injectable } from '@nestjs/common';
import { AuthFailures } from 'src/auth/auth-failures';
import { AuthError, AuthErrorCode } from 'src/auth/auth.errors';
import { boundChannel, type Caller } from 'src/auth/caller';
import { invalidField } from 'src/common/errors/common.errors';

/**
 * Object-level authorisation of user records: a key bound to a channel acts only on that channel's
 * users; an unbound key (aura-bot, Kernel) names the channel it acts on.
 */
@Injectable()
export class ChannelAccess {
  constructor(private readonly failures: AuthFailures) {}

  /**
   * The channel a request acts on: the one asked for, else the key's own, else `unboundDefault` when the route
   * has one (DEFAULT_CHANNEL for aura-bot's WhatsApp calls, which name no channel: seeds 000 and 004).
   */
  resolve(caller: Caller, requested: string | undefined, unboundDefault?: string): string {
    const bound = this.boundChannel(caller);
    if (requested === undefined) {
      if (bound === null) {
        if (unboundDefault !== undefined) {
          return unboundDefault;
        }
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
    return boundChannel(caller);
  }

  /**
   * Whether a record of `recordChannel` must look absent to this caller: a key bound to another channel may
   * not even learn that it exists (docs/users.md). Counted as a channel_forbidden failure all the same.
   */
  hides(caller: Caller, recordChannel: string): boolean {
    const bound = this.boundChannel(caller);
    if (bound === null || bound === recordChannel) {
      return false;
    }
    this.failures.record('channel_forbidden');
    return true;
  }

  /**
   * Refuses a bound key a write (get-or-create, login) of a record that another channel holds. A read or a
   * delete may pretend the record is absent (`hides`); a write may not, since the next read would contradict it.
   */
  assertMayWrite(caller: Caller, recordChannel: string): void {
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

  private forbidden(): AuthError {
    this.failures.record('channel_forbidden');
    return new AuthError(
      AuthErrorCode.ChannelForbidden,
      'This API key is bound to another channel than the user or channel of the request.',
    );
  }
}

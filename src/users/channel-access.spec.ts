import type { AuthFailureReason, AuthFailures } from 'src/common/access/auth-failures';
import type { AuthenticatedKey, Caller } from 'src/common/access/caller';
import { Tier } from 'src/common/access/tier';
import { ChannelAccess } from 'src/users/channel-access';

/** A hand-written fake: the refusals counted. */
class RecordedFailures {
  readonly reasons: AuthFailureReason[] = [];
  record(reason: AuthFailureReason): void {
    this.reasons.push(reason);
  }
}

const key = (channel: string | null): AuthenticatedKey => ({
  id: 'k',
  name: 'n',
  prefix: 'aak_test_k',
  tier: Tier.Internal,
  channel,
});
const caller = (channel: string | null): Caller => ({ key: key(channel), requestId: 'r' });

describe('ChannelAccess', () => {
  let failures: RecordedFailures;
  let access: ChannelAccess;

  beforeEach(() => {
    failures = new RecordedFailures();
    access = new ChannelAccess(failures as unknown as AuthFailures);
  });

  it("should act on the bound key's channel when none is asked for, and on the asked one for an unbound key", () => {
    expect(access.resolve(caller('web'), undefined)).toBe('web');
    expect(access.resolve(caller('web'), 'web')).toBe('web');
    expect(access.resolve(caller(null), 'whatsapp')).toBe('whatsapp');
  });

  it('should require a channel from an unbound key', () => {
    expect(() => access.resolve(caller(null), undefined)).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
    expect(failures.reasons).toEqual([]);
  });

  it("should refuse a bound key another channel's users, and count the refusal", () => {
    expect(() => access.resolve(caller('web'), 'whatsapp')).toThrow(
      expect.objectContaining({ code: 'api_key_channel_forbidden', status: 403 }),
    );
    expect(() => access.assertCanAccess(caller('web'), 'whatsapp')).toThrow(
      expect.objectContaining({ code: 'api_key_channel_forbidden' }),
    );
    expect(failures.reasons).toEqual(['channel_forbidden', 'channel_forbidden']);
  });

  it('should let an unbound key reach every channel, and only an unbound key erase across channels', () => {
    expect(() => access.assertCanAccess(caller(null), 'whatsapp')).not.toThrow();
    expect(() => access.assertUnbound(caller(null))).not.toThrow();
    expect(() => access.assertUnbound(caller('web'))).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('should tell an unbound key of a conflict, and a bound key only that it is forbidden', () => {
    expect(access.conflict(caller(null)).code).toBe('user_channel_conflict');
    expect(access.conflict(caller('web')).code).toBe('api_key_channel_forbidden');
  });
});

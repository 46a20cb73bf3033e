import type { AuthFailureReason, AuthFailures } from 'src/auth/auth-failures';
import type { ApiKeyCaller } from 'src/auth/caller';
import { Tier } from 'src/auth/tier';
import { ChannelAccess } from 'src/auth/channel-access';

/** A hand-written fake: the refusals counted. */
class RecordedFailures {
  readonly reasons: AuthFailureReason[] = [];
  record(reason: AuthFailureReason): void {
    this.reasons.push(reason);
  }
}

const caller = (channel: string | null): ApiKeyCaller => ({
  kind: 'api-key',
  id: 'k',
  name: 'n',
  prefix: 'aak_test_k',
  tier: Tier.Internal,
  channel,
});

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
    expect(failures.reasons).toEqual(['channel_forbidden']);
  });

  it("should fall back on the route's default for an unbound key only", () => {
    expect(access.resolve(caller(null), undefined, 'whatsapp')).toBe('whatsapp');
    expect(access.resolve(caller('web'), undefined, 'whatsapp')).toBe('web');
    expect(access.resolve(caller(null), 'webchat', 'whatsapp')).toBe('webchat');
    expect(failures.reasons).toEqual([]);
  });

  it("should refuse a bound key a write of another channel's record (counted), and no one else", () => {
    expect(() => access.assertMayWrite(caller('web'), 'whatsapp')).toThrow(
      expect.objectContaining({ code: 'api_key_channel_forbidden', status: 403 }),
    );
    expect(() => access.assertMayWrite(caller('web'), 'web')).not.toThrow();
    expect(() => access.assertMayWrite(caller(null), 'whatsapp')).not.toThrow();
    expect(failures.reasons).toEqual(['channel_forbidden']);
  });

  it("should hide another channel's record from a bound key (counted), and from no one else", () => {
    expect(access.hides(caller('web'), 'whatsapp')).toBe(true);
    expect(access.hides(caller('web'), 'web')).toBe(false);
    expect(access.hides(caller(null), 'whatsapp')).toBe(false);
    expect(failures.reasons).toEqual(['channel_forbidden']);
  });

  it('should let an unbound key reach every channel, and only an unbound key erase across channels', () => {
    expect(() => access.assertUnbound(caller(null))).not.toThrow();
    expect(() => access.assertUnbound(caller('web'))).toThrow(expect.objectContaining({ status: 403 }));
  });
});

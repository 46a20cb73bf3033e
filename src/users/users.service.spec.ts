import { Test } from '@nestjs/testing';
import { AuditService } from 'src/audit/audit.service';
import { AuthFailures } from 'src/auth/auth-failures';
import type { Caller } from 'src/auth/caller';
import { Tier } from 'src/auth/tier';
import { loadConfig } from 'src/config/app-config';
import { DEVELOPMENT_SECRETS } from 'src/config/development-secrets';
import { UsersSettings } from 'src/users/users.settings';
import { PersonalDataCipher } from 'src/users/personal-data';
import { ChannelAccess } from 'src/auth/channel-access';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { UserType } from 'src/users/user.entity';
import { UsersMetrics } from 'src/users/users.metrics';
import {
  type DeletedUser,
  type DeletionAudit,
  type NewKernelUser,
  type UpsertedUser,
  type UserLookup,
  type UserRow,
  UsersRepository,
} from 'src/users/users.repository';
import { UsersService } from 'src/users/users.service';

const row = (overrides: Partial<UserRow> = {}): UserRow => ({
  aura_id: 'aura-1',
  aura_id_global: 'global-1',
  user_id: 'u-1',
  channel: 'web',
  user_type: UserType.Authenticated,
  subscription_type: null,
  phone_number: null,
  authorization_id: 'a-1',
  authentication_context: null,
  created_at: new Date('2026-01-01T00:00:00Z'),
  updated_at: new Date('2026-01-01T00:00:00Z'),
  expires_at: new Date('2026-02-01T00:00:00Z'),
  ...overrides,
});

/** A hand-written repository: answers what a test scripted, remembers what it was asked. */
class FakeUsersRepository {
  lookup: UserLookup | undefined;
  upserts: (UpsertedUser | undefined)[] = [];
  deletion: DeletedUser = { channel: null, userType: null, deleted: false };
  readonly kernelUsers: NewKernelUser[] = [];
  readonly deletions: { auraId: string; channel: string | null; audit: DeletionAudit }[] = [];

  findByAuraId(): Promise<UserLookup | undefined> {
    return Promise.resolve(this.lookup);
  }
  getOrCreateKernelUser(user: NewKernelUser): Promise<UpsertedUser | undefined> {
    this.kernelUsers.push(user);
    return Promise.resolve(this.upserts.shift());
  }
  deleteByAuraId(auraId: string, channel: string | null, audit: DeletionAudit): Promise<DeletedUser> {
    this.deletions.push({ auraId, channel, audit });
    return Promise.resolve(this.deletion);
  }
}

class FakeMetrics {
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  userCreated(channel: string, userType: string): void {
    this.created.push(`${channel}/${userType}`);
  }
  usersDeleted(reason: string): void {
    this.deleted.push(reason);
  }
}

const caller = (channel: string | null, tier = Tier.Internal): Caller => ({
  kind: 'api-key',
  id: 'key-1',
  name: 'n',
  prefix: 'aak_test_x',
  tier,
  channel,
});

describe('UsersService', () => {
  let service: UsersService;
  let repository: FakeUsersRepository;
  let metrics: FakeMetrics;

  beforeEach(async () => {
    repository = new FakeUsersRepository();
    metrics = new FakeMetrics();
    const moduleRef = await Test.createTestingModule({
      providers: [
        UsersService,
        ChannelAccess,
        PhoneNumbers,
        {
          provide: UsersSettings,
          useValue: loadConfig({ NODE_ENV: 'test', DATA_DIR: 'memory://' }).get(UsersSettings),
        },
        { provide: PersonalDataCipher, useValue: new PersonalDataCipher(DEVELOPMENT_SECRETS) },
        { provide: UsersRepository, useValue: repository },
        { provide: UsersMetrics, useValue: metrics },
        { provide: AuthFailures, useValue: { record: () => undefined } },
        { provide: AuditService, useValue: { hashIdentifier: (value: string) => `hash(${value})` } },
      ],
    }).compile();
    service = moduleRef.get(UsersService);
  });

  describe('getUser', () => {
    it('should answer 404 user_not_found for an anonymous user (no record)', async () => {
      await expect(service.getUser('aura-1', caller(null))).rejects.toMatchObject({
        code: 'user_not_found',
        status: 404,
      });
    });

    it('should answer 404 user_expired for an expired record', async () => {
      repository.lookup = { user: row(), expired: true };
      await expect(service.getUser('aura-1', caller(null))).rejects.toMatchObject({ code: 'user_expired' });
    });

    it('should answer a key bound to another channel as if the record did not exist, expired or not', async () => {
      repository.lookup = { user: row({ channel: 'whatsapp' }), expired: true };
      await expect(service.getUser('aura-1', caller('web'))).rejects.toMatchObject({ code: 'user_not_found' });
    });

    it('should return the valid user', async () => {
      repository.lookup = { user: row(), expired: false };
      await expect(service.getUser('aura-1', caller('web'))).resolves.toMatchObject({
        auraId: 'aura-1',
        channel: 'web',
      });
    });
  });

  describe('getOrCreateUser', () => {
    const query = { userId: 'u-1', authorizationId: 'a-1', phoneNumber: '600 00 00 00' };

    it('should normalise the phone number, use the bound channel and count a created user', async () => {
      repository.upserts = [{ user: row(), created: true }];
      await expect(service.getOrCreateUser(query, caller('web'))).resolves.toMatchObject({ created: true });
      expect(repository.kernelUsers[0]).toMatchObject({ channel: 'web', phoneNumber: '+34600000000', userId: 'u-1' });
      expect(metrics.created).toEqual(['web/authenticated']);
    });

    it('should try again when a concurrent insert was not yet visible, and not count an existing user', async () => {
      repository.upserts = [undefined, { user: row(), created: false }];
      await expect(service.getOrCreateUser(query, caller('web'))).resolves.toMatchObject({ created: false });
      expect(repository.kernelUsers).toHaveLength(2);
      expect(metrics.created).toEqual([]);
    });

    it('should refuse an expiry in the past, writing nothing', async () => {
      await expect(
        service.getOrCreateUser({ ...query, expiresAt: '2000-01-01T00:00:00Z' }, caller('web')),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      expect(repository.kernelUsers).toEqual([]);
    });
  });

  describe('deleteUser', () => {
    it('should delete within the bound channel and audit the hashed auraId', async () => {
      repository.deletion = { channel: 'web', userType: UserType.Authenticated, deleted: true };
      await service.deleteUser('aura-1', caller('web'), 'req-1');
      expect(repository.deletions).toEqual([
        {
          auraId: 'aura-1',
          channel: 'web',
          audit: expect.objectContaining({ actorKeyId: 'key-1', subjectHash: 'hash(aura-1)', requestId: 'req-1' }),
        },
      ]);
      expect(metrics.deleted).toEqual(['logout']);
    });

    it("should answer a bound key as for an absent record when it is another channel's, which stays", async () => {
      repository.deletion = { channel: 'whatsapp', userType: UserType.Identifiable, deleted: false };
      await expect(service.deleteUser('aura-1', caller('web'), 'req-1')).resolves.toBeUndefined();
      expect(metrics.deleted).toEqual([]);
    });

    it('should be idempotent: nothing to delete is not an error', async () => {
      await expect(service.deleteUser('aura-1', caller(null), 'req-1')).resolves.toBeUndefined();
    });
  });
});

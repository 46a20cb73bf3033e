import { Logger } from '@nestjs/common';
import type { AuditService } from 'src/audit/audit.service';
import { CallbackCipher, CallbackPurpose, parseCipherKeys, sealPayload } from 'src/callbacks/callback-cipher';
import type { CallbacksMetrics } from 'src/callbacks/callbacks.metrics';
import type { CallbacksRepository, ConsumedToken } from 'src/callbacks/callbacks.repository';
import { CallbacksService } from 'src/callbacks/callbacks.service';
import { loadConfig } from 'src/config/app-config';
import type { Database, Tx } from 'src/database/database';
import type { SessionsService } from 'src/sessions/sessions.service';
import { PhoneNumbers } from 'src/users/phone-numbers';
import type { KernelSession, UsersService } from 'src/users/users.service';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { UsersSettings } from 'src/users/users.settings';

/** Hand-written fakes: the token ledger and the users remember what the callback did; no database. */
class FakeDatabase {
  transactions = 0;
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    this.transactions++;
    return work({} as Tx);
  }
}

class FakeCallbacksRepository {
  readonly consumed = new Map<string, ConsumedToken>();
  consume(token: ConsumedToken): Promise<boolean> {
    const fresh = !this.consumed.has(token.jti);
    this.consumed.set(token.jti, token);
    return Promise.resolve(fresh);
  }
}

class FakeUsers {
  readonly created: KernelSession[] = [];
  readonly deleted: KernelSession[] = [];
  getOrCreateForKernelSession(session: KernelSession) {
    this.created.push(session);
    const user = { auraId: 'aura-1', auraIdGlobal: 'g-1', userId: session.userId, channel: session.channel };
    return Promise.resolve({ created: true, user: { ...user, expiresAt: '2026-02-01T00:00:00.000Z' } });
  }
  deleteForKernelSession(session: KernelSession): Promise<number> {
    this.deleted.push(session);
    return Promise.resolve(1);
  }
}

const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: 'memory://',
  CALLBACK_REDIRECT_ALLOWLIST: 'https://app.example',
});
const cipher = new CallbackCipher(parseCipherKeys(config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
const session = { channel: 'web', userId: 'u-1', authorizationId: 'a-1' };
const requestId = 'req-1';

describe('CallbacksService', () => {
  let database: FakeDatabase;
  let repository: FakeCallbacksRepository;
  let users: FakeUsers;
  let audited: unknown[];
  let service: CallbacksService;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  beforeEach(() => {
    database = new FakeDatabase();
    repository = new FakeCallbacksRepository();
    users = new FakeUsers();
    audited = [];
    const audit = {
      hashIdentifier: (value: string) => `hash(${value})`,
      record: (record: unknown) => Promise.resolve(void audited.push(record)),
    } as unknown as AuditService;
    const metrics = { accepted: () => undefined, refused: () => undefined } as unknown as CallbacksMetrics;
    const sessions = {
      defaultAudience: 'app',
      isAudience: (audience: string) => audience === 'app',
      open: () => Promise.resolve({}),
    } as unknown as SessionsService;
    service = new CallbacksService(
      database as unknown as Database,
      repository as unknown as CallbacksRepository,
      users as unknown as UsersService,
      new PhoneNumbers(config.get(UsersSettings)),
      audit,
      metrics,
      sessions,
      config.get(CallbacksSettings),
    );
  });

  it('should create the user of a login callback, consume its token and audit it, in one transaction', async () => {
    const outcome = await service.login(sealPayload(cipher, CallbackPurpose.Login, session), requestId);
    expect(outcome).toMatchObject({ status: 201, body: { auraId: 'aura-1', channel: 'web' } });
    expect(users.created).toEqual([expect.objectContaining(session)]);
    expect(repository.consumed.size).toBe(1);
    expect(database.transactions).toBe(1);
    expect(audited).toEqual([expect.objectContaining({ requestId: 'req-1', recordCount: 1 })]);
  });

  it('should refuse a replayed value', async () => {
    const data = sealPayload(cipher, CallbackPurpose.Login, session);
    await service.login(data, requestId);
    await expect(service.login(data, requestId)).rejects.toMatchObject({ code: 'callback_replayed', status: 401 });
  });

  it('should refuse a login value on the logout path, before touching anything', async () => {
    const data = sealPayload(cipher, CallbackPurpose.Login, session);
    await expect(service.logout(data, requestId)).rejects.toMatchObject({ code: 'callback_wrong_purpose' });
    expect(database.transactions).toBe(0);
  });

  it('should refuse an expired value and a redirect off the allow-list, writing nothing', async () => {
    const expired = sealPayload(cipher, CallbackPurpose.Login, { ...session, iat: 1_700_000_000, exp: 1_700_000_300 });
    await expect(service.login(expired, requestId)).rejects.toMatchObject({ code: 'callback_expired' });
    const elsewhere = sealPayload(cipher, CallbackPurpose.Logout, {
      ...session,
      redirectUri: 'https://evil.example/x',
    });
    await expect(service.logout(elsewhere, requestId)).rejects.toMatchObject({ code: 'callback_redirect_refused' });
    expect(repository.consumed.size).toBe(0);
  });

  it('should remove the record of a logout callback and redirect to an allowed origin', async () => {
    const data = sealPayload(cipher, CallbackPurpose.Logout, { ...session, redirectUri: 'https://app.example/done' });
    await expect(service.logout(data, requestId)).resolves.toEqual({
      status: 302,
      location: 'https://app.example/done',
      session: 'clear',
    });
    expect(users.deleted).toEqual([expect.objectContaining(session)]);
  });
});

import { AuditAction } from 'src/audit/audit.service';
import { openRepositories, type Repositories } from './repository-database';

const event = (subjectHash: string, action: string = AuditAction.UserDeleted) => ({
  action,
  actorKeyId: null,
  subjectHash,
  recordCount: 1,
  requestId: `req-${subjectHash.slice(0, 8)}`,
  details: { channel: 'web', nested: { n: 1 } },
});

describe('AuditRepository (real database)', () => {
  let r: Repositories;

  beforeAll(async () => {
    r = await openRepositories();
  });
  afterAll(() => r.close());

  it('should insert an event, with its JSON details, and roll it back with its transaction', async () => {
    await r.audit.insert(event('1'.repeat(64)));
    const [row] = await r.query(
      'SELECT action, subject_hash, details, created_at FROM audit_events WHERE subject_hash = $1',
      ['1'.repeat(64)],
    );
    expect(row).toEqual(
      expect.objectContaining({ action: AuditAction.UserDeleted, details: { channel: 'web', nested: { n: 1 } } }),
    );
    await expect(
      r.database.transaction(async (tx) => {
        await r.audit.insert(event('2'.repeat(64)), tx);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await r.query('SELECT 1 FROM audit_events WHERE subject_hash = $1', ['2'.repeat(64)])).toEqual([]);
  });

  it('should unlink the subjects of events, except the actions kept, and say how many', async () => {
    const subject = '3'.repeat(64);
    await r.audit.insert(event(subject));
    await r.audit.insert(event(subject, AuditAction.CallbackLogin));
    await r.audit.insert(event(subject, AuditAction.UsersErasedByPhoneNumber));
    const unlinked = await r.database.transaction((tx) =>
      r.audit.unlinkSubjects([subject, '4'.repeat(64)], [AuditAction.UsersErasedByPhoneNumber], tx),
    );
    expect(unlinked).toBe(2);
    const left = await r.query('SELECT action FROM audit_events WHERE subject_hash = $1', [subject]);
    expect(left).toEqual([{ action: AuditAction.UsersErasedByPhoneNumber }]);
    expect(await r.database.transaction((tx) => r.audit.unlinkSubjects([], [], tx))).toBe(0);
  });

  it('should notify listeners only when the transaction commits (Database.notify)', async () => {
    // pg_notify has no table: Database runs it. Delivery is covered end to end (invalidation e2e); here it runs.
    await expect(
      r.database.transaction((tx) => r.database.notify('aura_auth_invalidation', '{}', tx)),
    ).resolves.toBeUndefined();
  });
});

import { randomUUID } from 'node:crypto';
import { openRepositories, type Repositories } from './repository-database';

const SUBSCRIBER = 'c'.repeat(64);
const OTHER_SUBSCRIBER = 'd'.repeat(64);

describe('GvpRepository (real database)', () => {
  let r: Repositories;

  /** What DeviceSignIn does: the user and its link in one transaction, rolled back when the link was taken. */
  const signIn = async (deviceId: string, replacing: string | null, subscriberHash = SUBSCRIBER) => {
    const auraId = `tv-${randomUUID()}`;
    try {
      return await r.database.transaction(async (tx) => {
        await r.users.createDeviceUser(
          {
            auraId,
            auraIdGlobal: 'g',
            userId: randomUUID(),
            channel: 'tv',
            phoneNumber: null,
            authorizationId: null,
            subscriptionType: null,
            deviceId,
          },
          30,
          tx,
        );
        if (!(await r.gvp.link({ channel: 'tv', deviceId, auraId, subscriberHash, replacing }, tx))) {
          throw new Error('taken');
        }
        return auraId;
      });
    } catch (error) {
      if (error instanceof Error && error.message === 'taken') {
        return undefined;
      }
      throw error;
    }
  };

  beforeAll(async () => {
    r = await openRepositories();
  });
  afterAll(() => r.close());

  it("should link a device and find its user, whether it expired and whether it is the same subscriber's", async () => {
    const deviceId = randomUUID();
    expect(await r.gvp.findLinkedUser('tv', deviceId, SUBSCRIBER)).toBeUndefined();
    const auraId = await signIn(deviceId, null);
    expect(await r.gvp.findLinkedUser('tv', deviceId, SUBSCRIBER)).toEqual({
      auraId,
      expired: false,
      sameSubscriber: true,
    });
    expect((await r.gvp.findLinkedUser('tv', deviceId, OTHER_SUBSCRIBER))?.sameSubscriber).toBe(false);
    await r.query(`UPDATE aura_users SET expires_at = now() - interval '1 second' WHERE aura_id = $1`, [auraId]);
    expect((await r.gvp.findLinkedUser('tv', deviceId, SUBSCRIBER))?.expired).toBe(true);
    expect(await r.gvp.findByDevice('tv', deviceId)).toEqual([
      expect.objectContaining({ auraId, subscriberHash: SUBSCRIBER }),
    ]);
  });

  it('should move a link only away from the auraId the caller found unusable', async () => {
    const deviceId = randomUUID();
    const first = await signIn(deviceId, null);
    expect(await signIn(deviceId, 'not-the-linked-one')).toBeUndefined();
    const second = await signIn(deviceId, first ?? null, OTHER_SUBSCRIBER);
    expect(second).toBeDefined();
    expect((await r.gvp.findByDevice('tv', deviceId)).map((link) => link.auraId)).toEqual([second]);
  });

  it('should keep one user and one link when two sign-ins of a new device race', async () => {
    const deviceId = randomUUID();
    const results = await Promise.all([signIn(deviceId, null), signIn(deviceId, null)]);
    expect(results.filter((auraId) => auraId !== undefined)).toHaveLength(1);
    expect(await r.gvp.findByDevice('tv', deviceId)).toHaveLength(1);
    const users = await r.query('SELECT 1 FROM aura_users WHERE device_id = $1', [deviceId]);
    expect(users).toHaveLength(1);
  });

  it('should lose the link with its user (foreign key cascade)', async () => {
    const deviceId = randomUUID();
    const auraId = await signIn(deviceId, null);
    await r.query('DELETE FROM aura_users WHERE aura_id = $1', [auraId]);
    expect(await r.gvp.findByDevice('tv', deviceId)).toEqual([]);
  });
});

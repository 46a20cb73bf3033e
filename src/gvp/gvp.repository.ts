import { Injectable } from '@nestjs/common';
import { Database } from 'src/database/database';
import { FIND_LINKED_USER } from 'src/gvp/gvp.sql';

/** The user a device is linked to, as the sign-in needs it. */
export interface LinkedUser {
  auraId: string;
  /** The user's validity ended (database clock). */
  expired: boolean;
  /** The device signed in as the same subscriber as now. */
  sameSubscriber: boolean;
}

/**
 * Reads the device links. They are written with their user, in one statement, by the users repository
 * (UsersRepository.createDeviceUser), and deleted with it by the foreign key's cascade.
 */
@Injectable()
export class GvpRepository {
  constructor(private readonly db: Database) {}

  /** The sign-in of a known device: one statement. */
  async findLinkedUser(channel: string, deviceId: string, subscriberHash: string): Promise<LinkedUser | undefined> {
    const row = await this.db.one(FIND_LINKED_USER, { channel, deviceId, subscriberHash });
    return row === undefined
      ? undefined
      : { auraId: row.aura_id, expired: row.expired, sameSubscriber: row.same_subscriber };
  }
}

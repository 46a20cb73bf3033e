import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** The user a device is linked to, as the sign-in needs it. */
export interface LinkedUser {
  auraId: string;
  /** The user's validity ended (database clock). */
  expired: boolean;
  /** The device signed in as the same subscriber as now. */
  sameSubscriber: boolean;
}

/** `$1` channel, `$2` DeviceId, `$3` keyed hash of the subscriber now signing in. */
const FIND_LINKED_USER = `
SELECT l.aura_id, u.expires_at <= now() AS expired, l.subscriber_hash = $3 AS same_subscriber
FROM gvp_device_links l JOIN aura_users u ON u.aura_id = l.aura_id
WHERE l.channel = $1 AND l.device_id = $2`;

/**
 * Reads the device links. They are written with their user, in one statement, by the users repository
 * (UsersRepository.createDeviceUser), and deleted with it by the foreign key's cascade.
 */
@Injectable()
export class GvpRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The sign-in of a known device: one statement. */
  async findLinkedUser(channel: string, deviceId: string, subscriberHash: string): Promise<LinkedUser | undefined> {
    const rows: { aura_id: string; expired: boolean; same_subscriber: boolean }[] = await this.dataSource.query(
      FIND_LINKED_USER,
      [channel, deviceId, subscriberHash],
    );
    const [row] = rows;
    return row === undefined
      ? undefined
      : { auraId: row.aura_id, expired: row.expired, sameSubscriber: row.same_subscriber };
  }
}

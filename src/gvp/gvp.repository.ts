import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Database, onTx, type Tx } from 'src/database/database';
import { GvpDeviceLink } from 'src/gvp/device-link.entity';
import { FIND_LINKED_USER } from 'src/gvp/gvp.sql';

/** The user a device is linked to, as the sign-in needs it. */
export interface LinkedUser {
  auraId: string;
  /** The user's validity ended (database clock). */
  expired: boolean;
  /** The device signed in as the same subscriber as now. */
  sameSubscriber: boolean;
}

/** A device's link to the user it signed in as. */
export interface NewDeviceLink {
  channel: string;
  deviceId: string;
  auraId: string;
  /** Keyed hash of the subscriber the device signed in as. */
  subscriberHash: string;
  /** auraId the device's current link points at and that may be replaced (expired, another subscriber); null: none. */
  replacing: string | null;
}

/**
 * `gvp_device_links`, the only code that reads or writes it: the known device's sign-in is a prepared statement
 * (gvp.sql.ts, hot), the rest goes through TypeORM's repository. The links are deleted with their user by the
 * foreign key's cascade (logout, erasure, sweep).
 */
@Injectable()
export class GvpRepository {
  constructor(
    @InjectRepository(GvpDeviceLink) private readonly links: Repository<GvpDeviceLink>,
    private readonly db: Database,
  ) {}

  /** The sign-in of a known device: one statement. */
  async findLinkedUser(channel: string, deviceId: string, subscriberHash: string): Promise<LinkedUser | undefined> {
    const row = await this.db.one(FIND_LINKED_USER, { channel, deviceId, subscriberHash });
    return row === undefined
      ? undefined
      : { auraId: row.aura_id, expired: row.expired, sameSubscriber: row.same_subscriber };
  }

  /**
   * Links the device to a user created in `tx`. A link that exists is moved to it only when it still points at
   * `replacing`, the auraId the caller found unusable (expired, or another subscriber's). False when a
   * concurrent sign-in of the device linked it first (the insert waited for its commit; nothing written): roll
   * `tx` back and read the link again. One `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`.
   */
  async link(link: NewDeviceLink, tx: Tx): Promise<boolean> {
    const { replacing, ...values } = link;
    const result = await onTx(this.links, tx)
      .createQueryBuilder('l')
      .insert()
      .values(values)
      .orUpdate(['aura_id', 'subscriber_hash', 'created_at'], ['channel', 'device_id'], {
        upsertType: 'on-conflict-do-update',
        overwriteCondition: { where: 'l.aura_id = :replacing', parameters: { replacing } },
      })
      .returning(['auraId'])
      .execute();
    return (result.raw as unknown[]).length > 0;
  }

  /** The links of a device's channel and id (at most one), for operators and tests. */
  findByDevice(channel: string, deviceId: string, tx?: Tx): Promise<GvpDeviceLink[]> {
    return onTx(this.links, tx).find({ where: { channel, deviceId } });
  }
}

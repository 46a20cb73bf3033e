import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Database, onTx, type Tx } from 'src/database/database';
import { GvpDeviceLink } from 'src/gvp/device-link.entity';
import { FIND_LINKED_USER, LINK_DEVICE } from 'src/gvp/gvp.sql';

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
 * `gvp_device_links`, the only code that reads or writes it. The links are deleted with their user by the
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
   * Links the device to a user created in `tx`. False when a concurrent sign-in of the device linked it first
   * (nothing written): roll `tx` back and read the link again.
   */
  async link(link: NewDeviceLink, tx: Tx): Promise<boolean> {
    return (await this.db.one(LINK_DEVICE, link, tx)) !== undefined;
  }

  /** The links of a device's channel and id (at most one), for operators and tests. */
  findByDevice(channel: string, deviceId: string, tx?: Tx): Promise<GvpDeviceLink[]> {
    return onTx(this.links, tx).find({ where: { channel, deviceId } });
  }
}

import { Injectable } from '@nestjs/common';
import type { Tx } from 'src/database/database';
import { UsersSettings } from 'src/users/users.settings';
import { PersonalDataCipher } from 'src/users/personal-data';
import { deriveAuraIdGlobal } from 'src/users/user-identifiers';
import { type NewDeviceUser, UsersRepository, type UserRow } from 'src/users/users.repository';

export type { NewDeviceUser } from 'src/users/users.repository';

/**
 * Users signed in from a GVP device (docs/gvp.md): the user record, written by the users repository (so that
 * every write of a user record, its phone number included, stays in one place) in the transaction in which
 * the GVP repository links the device to it.
 */
@Injectable()
export class DeviceUsers {
  constructor(
    private readonly users: UsersRepository,
    private readonly config: UsersSettings,
    private readonly pii: PersonalDataCipher,
  ) {}

  /** The keyed auraIdGlobal of a new device user: the same pseudonym the person gets in every other channel. */
  auraIdGlobal(source: { phoneNumber: string | null; userId: string }): string {
    return deriveAuraIdGlobal(this.pii, source);
  }

  /** The new user, in the transaction that links the device to it. */
  create(user: NewDeviceUser, tx: Tx): Promise<UserRow> {
    return this.users.createDeviceUser(user, this.config.USER_TTL_DAYS, tx);
  }
}

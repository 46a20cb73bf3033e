import { Injectable } from '@nestjs/common';
import { UsersSettings } from 'src/users/users.settings';
import { PersonalDataCipher } from 'src/users/personal-data';
import { deriveAuraIdGlobal } from 'src/users/user-identifiers';
import { type NewDeviceUser, UsersRepository, type UserRow } from 'src/users/users.repository';

export type { NewDeviceUser } from 'src/users/users.repository';

/**
 * Users signed in from a GVP device (docs/gvp.md): the user and the device's link, written together by the
 * users repository, so that every write of a user record (its phone number included) stays in one place.
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

  /** The new user, or undefined when a concurrent sign-in of the device linked it first. */
  create(user: NewDeviceUser): Promise<UserRow | undefined> {
    return this.users.createDeviceUser(user, this.config.USER_TTL_DAYS);
  }
}

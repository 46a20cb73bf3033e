import { Injectable } from '@nestjs/common';
import { PersonalDataCipher, SealedColumn } from 'src/users/personal-data';
import { PhoneNumbers } from 'src/users/phone-numbers';
import type { SubscriptionType, UserType } from 'src/users/user.entity';

/** A record as the statements return it, the personal data still sealed. */
export interface StoredUserRow {
  aura_id: string;
  aura_id_global: string;
  user_id: string;
  channel: string;
  user_type: UserType;
  subscription_type: SubscriptionType | null;
  phone_number: string | null;
  authorization_id: string | null;
  authentication_context: string | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}

/** A user as a response needs it: the stored row with its personal data opened. */
export interface UserRow extends Omit<StoredUserRow, 'authentication_context'> {
  authentication_context: Record<string, unknown> | null;
}

/** The personal data of a record as it is written: sealed, and the blind indexes computed from it. */
export interface SealedPersonalData {
  /** The sealed phone number, or null. */
  sealedPhoneNumber: string | null;
  /** Blind index of the phone number, or null. */
  phoneIndex: string | null;
  /** Blind indexes of the other phone numbers the record mentions. */
  phoneMentions: string[];
}

/** A record's sealed values, as stored. */
export interface SealedValues {
  phoneNumber: string | null;
  authenticationContext: string | null;
}

/**
 * The personal data of `aura_users` (docs/pii.md): what a repository writes (sealed values, blind indexes of
 * the phone number and of the numbers mentioned elsewhere in the record) and how it reads them back. The one
 * place that seals and opens a user's personal data; repositories use it, services never see a sealed value.
 */
@Injectable()
export class UserSealing {
  constructor(
    private readonly pii: PersonalDataCipher,
    private readonly phoneNumbers: PhoneNumbers,
  ) {}

  /** The key id new values are sealed under. */
  get currentKid(): string {
    return this.pii.currentKid;
  }

  /** Blind index of an E.164 phone number (what an erasure looks records up by). */
  phoneIndex(phoneNumber: string): string {
    return this.pii.phoneIndex(phoneNumber);
  }

  /** The phone number sealed, its blind index, and those of the other numbers written in `values`. */
  sealed(phoneNumber: string | null, values: unknown[]): SealedPersonalData {
    return {
      sealedPhoneNumber: this.pii.sealNullable(SealedColumn.PhoneNumber, phoneNumber),
      phoneIndex: phoneNumber === null ? null : this.pii.phoneIndex(phoneNumber),
      phoneMentions: this.phoneNumbers
        .findAll(values)
        .filter((number) => number !== phoneNumber)
        .map((number) => this.pii.phoneIndex(number)),
    };
  }

  /** Kernel's authentication context, sealed. */
  sealContext(context: Record<string, unknown>): string {
    return this.pii.seal(SealedColumn.AuthenticationContext, JSON.stringify(context));
  }

  /** The stored row with its personal data opened; a value that cannot be opened throws (fails closed). */
  unseal<T extends StoredUserRow>(row: T): Omit<T, 'authentication_context'> & UserRow {
    const context = this.pii.openNullable(SealedColumn.AuthenticationContext, row.authentication_context);
    return {
      ...row,
      phone_number: this.pii.openNullable(SealedColumn.PhoneNumber, row.phone_number),
      authentication_context: context === null ? null : (JSON.parse(context) as Record<string, unknown>),
    };
  }

  /**
   * The same values sealed under the current key (`pii reencrypt`). A value that cannot be opened (its key
   * left the ring) throws PersonalDataError.
   */
  reseal(values: SealedValues): SealedValues {
    const phone = this.pii.openNullable(SealedColumn.PhoneNumber, values.phoneNumber);
    const context = this.pii.openNullable(SealedColumn.AuthenticationContext, values.authenticationContext);
    return {
      phoneNumber: this.pii.sealNullable(SealedColumn.PhoneNumber, phone),
      authenticationContext: this.pii.sealNullable(SealedColumn.AuthenticationContext, context),
    };
  }
}

import { Injectable } from '@nestjs/common';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { invalidField } from 'src/common/errors/common.errors';
import { UsersSettings } from 'src/users/users.settings';

/** Characters a phone number may be written with: digits, a leading +, spaces and the usual separators. */
const PHONE_TEXT = /^\+?[0-9 ().-]{3,32}$/;
export const PHONE_NUMBER_MAX_LENGTH = 33;
/** Cheap pre-filter of findAll: text that could be a phone number (at least 6 digits). */
const MAYBE_PHONE = /^(?=(?:[^0-9]*[0-9]){6})\+?[0-9 ().-]+$/;
const MAX_SCAN_DEPTH = 32;

/**
 * Normalises phone numbers to E.164 with the full libphonenumber metadata, reading numbers written
 * without an international prefix in PHONE_DEFAULT_REGION: in ES, `+34 600 00 00 00`,
 * `0034600000000` and `600000000` are all `+34600000000`.
 */
@Injectable()
export class PhoneNumbers {
  private readonly region: CountryCode;

  constructor(config: UsersSettings) {
    this.region = config.PHONE_DEFAULT_REGION as CountryCode;
  }

  /** E.164, or undefined when the text is not a valid phone number. */
  tryNormalize(text: string): string | undefined {
    if (!PHONE_TEXT.test(text)) {
      return undefined;
    }
    const parsed = parsePhoneNumberFromString(text, { defaultCountry: this.region });
    return parsed?.isValid() ? parsed.number : undefined;
  }

  /**
   * Every phone number written in these values, in E.164: strings and integers at any depth (object members
   * and array items), digit strings also read as international numbers without their `+` (a WhatsApp id
   * such as `34600000000`). Over-inclusive on purpose: it decides what an erasure of a number reaches.
   */
  findAll(values: unknown[]): string[] {
    const found = new Set<string>();
    const visit = (value: unknown, depth: number): void => {
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 100_000) {
        value = String(value);
      }
      if (typeof value === 'string') {
        for (const number of this.readings(value)) {
          found.add(number);
        }
      } else if (typeof value === 'object' && value !== null && depth < MAX_SCAN_DEPTH) {
        for (const member of Array.isArray(value) ? value : Object.values(value)) {
          visit(member, depth + 1);
        }
      }
    };
    values.forEach((value) => visit(value, 0));
    return [...found];
  }

  private readings(text: string): string[] {
    if (text.length > PHONE_NUMBER_MAX_LENGTH || !MAYBE_PHONE.test(text)) {
      return [];
    }
    const readings = [this.tryNormalize(text)];
    if (/^[0-9]{8,15}$/.test(text)) {
      readings.push(this.tryNormalize(`+${text}`));
    }
    return readings.filter((reading): reading is string => reading !== undefined);
  }

  /** E.164, or a validation problem naming `field` (never echoing the value). */
  normalize(text: string, field: string): string {
    const normalized = this.tryNormalize(text);
    if (normalized === undefined) {
      throw invalidField(field, `${field} must be a valid phone number (E.164, or national in the default region)`);
    }
    return normalized;
  }
}

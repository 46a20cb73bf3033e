import { Injectable } from '@nestjs/common';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';
import { AppConfig } from 'src/config/app-config';

/** Characters a phone number may be written with: digits, a leading +, spaces and the usual separators. */
const PHONE_TEXT = /^\+?[0-9 ().-]{3,32}$/;
export const PHONE_NUMBER_MAX_LENGTH = 33;

/**
 * Normalises phone numbers to E.164 with the full libphonenumber metadata, reading numbers written
 * without an international prefix in PHONE_DEFAULT_REGION: in ES, `+34 600 00 00 00`,
 * `0034600000000` and `600000000` are all `+34600000000`.
 */
@Injectable()
export class PhoneNumbers {
  private readonly region: CountryCode;

  constructor(config: AppConfig) {
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

  /** E.164, or a validation problem naming `field` (never echoing the value). */
  normalize(text: string, field: string): string {
    const normalized = this.tryNormalize(text);
    if (normalized === undefined) {
      throw invalidField(field, `${field} must be a valid phone number (E.164, or national in the default region)`);
    }
    return normalized;
  }
}

/** The validation problem of one field, shaped as the validation pipe shapes its own. */
export function invalidField(field: string, message: string): CommonError {
  return new CommonError(CommonErrorCode.ValidationFailed, `Invalid input: ${field}.`, {
    errors: [{ field, message }],
  });
}

import { applyDecorators } from '@nestjs/common';
import { IsEnum, IsISO8601, IsString, Length, Matches, MaxLength, ValidateBy } from 'class-validator';
import { SubscriptionType } from 'src/users/user.entity';
import { PHONE_NUMBER_MAX_LENGTH } from 'src/users/phone-numbers';
import { AURA_ID_RULE, isAuraId } from 'src/users/user-identifiers';

/** Channel names, as API keys are bound to them: lowercase letters, digits, `.`, `_`, `-`. */
export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Identifiers Kernel hands out (user, authorization, auraIdGlobal): printable ASCII, no spaces, quotes or `;`. */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9._~:@|+=/-]+$/;

/** A scope or purpose name: printable ASCII without spaces. */
export const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

export const IsChannel = () =>
  applyDecorators(
    IsString(),
    Matches(CHANNEL_PATTERN, {
      message: '$property must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
    }),
  );

export const IsIdentifier = (maxLength: number) =>
  applyDecorators(
    IsString(),
    Length(1, maxLength),
    Matches(IDENTIFIER_PATTERN, {
      message: '$property may only contain letters, digits and . _ ~ : @ | + = / -',
    }),
  );

/** An auraId in a payload: the same check as the `{auraId}` path parameter. */
export const IsAuraId = () =>
  ValidateBy({
    name: 'isAuraId',
    validator: { validate: (value) => isAuraId(value), defaultMessage: () => AURA_ID_RULE },
  });

/** The text is checked here; normalisation (and validity in the default region) happens in the service. */
export const IsPhoneNumberText = () => applyDecorators(IsString(), Length(3, PHONE_NUMBER_MAX_LENGTH));

export const IsSubscriptionType = () => IsEnum(SubscriptionType);

export const IsTimestamp = () =>
  applyDecorators(IsString(), MaxLength(40), IsISO8601({ strict: true, strictSeparator: true }));

/**
 * JSON that PostgreSQL's jsonb accepts and that fits in `maxBytes`: no NUL characters
 * and no unpaired surrogates (both make jsonb refuse the document).
 */
export function IsBoundedJson(maxBytes: number) {
  return ValidateBy({
    name: 'isBoundedJson',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          return false;
        }
        const text = JSON.stringify(value);
        return Buffer.byteLength(text, 'utf8') <= maxBytes && !/\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(text);
      },
      defaultMessage: () =>
        `$property must be a JSON object of at most ${maxBytes} bytes, without NUL characters or unpaired surrogates`,
    },
  });
}

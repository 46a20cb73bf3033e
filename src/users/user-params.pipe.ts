import { Injectable, type PipeTransform } from '@nestjs/common';
import { IDENTIFIER_PATTERN } from 'src/users/dto/user-fields';
import { invalidField } from 'src/users/phone-numbers';
import { AURA_ID_MAX_LENGTH, AURA_ID_PATTERN, RESERVED_AURA_IDS } from 'src/users/user-identifiers';

/** The `{auraId}` path parameter: URL-safe, at most 128 characters, not a reserved path segment. */
@Injectable()
export class AuraIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!AURA_ID_PATTERN.test(value) || RESERVED_AURA_IDS.has(value)) {
      throw invalidField(
        'auraId',
        `auraId must be 1-${AURA_ID_MAX_LENGTH} URL-safe characters (letters, digits, "-", "_", "~", ".")`,
      );
    }
    return value;
  }
}

/** The `{aura_id_global}` path parameter. */
@Injectable()
export class AuraIdGlobalPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (value.length > 128 || !IDENTIFIER_PATTERN.test(value)) {
      throw invalidField(
        'aura_id_global',
        'aura_id_global must be 1-128 letters, digits or . _ ~ : @ | + = / - characters',
      );
    }
    return value;
  }
}

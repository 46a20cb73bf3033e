import { Injectable, type PipeTransform } from '@nestjs/common';
import { IDENTIFIER_PATTERN } from 'src/users/dto/user-fields';
import { invalidField } from 'src/common/errors/common.errors';
import { AURA_ID_RULE, isAuraId } from 'src/users/user-identifiers';

/** The `{auraId}` path parameter, checked as every auraId is (isAuraId). */
@Injectable()
export class AuraIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isAuraId(value)) {
      throw invalidField('auraId', AURA_ID_RULE);
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

import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { CommonError, CommonErrorCode, FieldError } from 'src/common/errors/common.errors';

const MAX_FIELD_NAME = 64;

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = (parent ? `${parent}.${error.property}` : error.property).slice(0, MAX_FIELD_NAME);
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: message.slice(0, 200) }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Whitelisting validation for every input: unknown fields are refused, and the problem names each bad field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      const fields = [...new Set(fieldErrors.map((error) => error.field))].join(', ');
      return new CommonError(CommonErrorCode.ValidationFailed, `Invalid input: ${fields}.`, { errors: fieldErrors });
    },
  });
}

/**
 * An optional member that may be left out, but not sent as `null`: class-validator's IsOptional() skips
 * validation of null too, which let `{"channel": null}` reach the database. With this, null is validated
 * like any other value, and refused by the member's own rules.
 */
export const IsOmittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

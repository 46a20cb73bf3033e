import { AppError } from 'src/common/errors/app-error';
import { errorStatuses } from 'src/common/errors/error-statuses';

export enum CommonErrorCode {
  ValidationFailed = 'validation_failed',
  BadRequest = 'bad_request',
  MalformedJson = 'malformed_json',
  PayloadTooLarge = 'payload_too_large',
  UriTooLong = 'uri_too_long',
  RequestTimeout = 'request_timeout',
  HeadersTooLarge = 'headers_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  RouteNotFound = 'route_not_found',
  MethodNotAllowed = 'method_not_allowed',
  RateLimited = 'rate_limited',
  DatabaseUnavailable = 'database_unavailable',
  ServiceUnavailable = 'service_unavailable',
  InternalError = 'internal_error',
}

const status = errorStatuses<CommonErrorCode>({
  [CommonErrorCode.ValidationFailed]: 400,
  [CommonErrorCode.BadRequest]: 400,
  [CommonErrorCode.MalformedJson]: 400,
  [CommonErrorCode.PayloadTooLarge]: 413,
  [CommonErrorCode.UriTooLong]: 414,
  [CommonErrorCode.RequestTimeout]: 408,
  [CommonErrorCode.HeadersTooLarge]: 431,
  [CommonErrorCode.UnsupportedMediaType]: 415,
  [CommonErrorCode.RouteNotFound]: 404,
  [CommonErrorCode.MethodNotAllowed]: 405,
  [CommonErrorCode.RateLimited]: 429,
  [CommonErrorCode.DatabaseUnavailable]: 503,
  [CommonErrorCode.ServiceUnavailable]: 503,
  [CommonErrorCode.InternalError]: 500,
});

export class CommonError extends AppError {
  constructor(
    override readonly code: CommonErrorCode,
    detail: string,
    extensions?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) {
    super(code, detail, extensions, headers);
  }

  get status(): number {
    return status(this.code);
  }
}

/** One invalid input field, as listed in the `errors` member of a validation problem. */
export interface FieldError {
  field: string;
  message: string;
}

/** The validation problem of one field, shaped as the validation pipe shapes its own. */
export function invalidField(field: string, message: string): CommonError {
  return new CommonError(CommonErrorCode.ValidationFailed, `Invalid input: ${field}.`, {
    errors: [{ field, message }],
  });
}

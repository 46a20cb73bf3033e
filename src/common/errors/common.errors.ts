import { AppError } from 'src/common/errors/app-error';

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
    switch (this.code) {
      case CommonErrorCode.ValidationFailed:
      case CommonErrorCode.BadRequest:
      case CommonErrorCode.MalformedJson:
        return 400;
      case CommonErrorCode.RouteNotFound:
        return 404;
      case CommonErrorCode.MethodNotAllowed:
        return 405;
      case CommonErrorCode.RequestTimeout:
        return 408;
      case CommonErrorCode.PayloadTooLarge:
        return 413;
      case CommonErrorCode.UriTooLong:
        return 414;
      case CommonErrorCode.UnsupportedMediaType:
        return 415;
      case CommonErrorCode.HeadersTooLarge:
        return 431;
      case CommonErrorCode.RateLimited:
        return 429;
      case CommonErrorCode.InternalError:
        return 500;
      case CommonErrorCode.DatabaseUnavailable:
      case CommonErrorCode.ServiceUnavailable:
        return 503;
    }
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

import { randomUUID } from 'node:crypto';
import { HttpException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { AppError, isError } from 'src/common/errors/app-error';
import { CommonError, CommonErrorCode } from 'src/common/errors/common.errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_PREFIX = 'urn:aura-authentication-api:problem:';

/** RFC 9457 problem details, with the service's stable `code` and the request id. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  [extension: string]: unknown;
}

export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: ProblemDocument;
  /** Set for unexpected failures: the error to log, with the id that the body carries. */
  unexpected?: { errorId: string; error: unknown };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problemTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** Turns anything thrown while serving a request into the problem document to answer. */
export function toProblem(error: unknown, requestId: string): Problem {
  const known = asAppError(error);
  if (known !== undefined) {
    return build(known.status, known.code, known.detail, requestId, known.extensions, known.headers);
  }
  const errorId = randomUUID();
  return {
    ...build(
      500,
      CommonErrorCode.InternalError,
      `Unexpected error; quote errorId ${errorId} to the operators.`,
      requestId,
      {
        errorId,
      },
    ),
    unexpected: { errorId, error },
  };
}

function build(
  status: number,
  code: string,
  detail: string,
  requestId: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Problem {
  return {
    status,
    headers,
    body: {
      type: PROBLEM_TYPE_PREFIX + code,
      title: problemTitle(status),
      status,
      detail,
      instance: `urn:aura-authentication-api:request:${requestId}`,
      code,
      requestId,
      ...extensions,
    },
  };
}

/** Errors with a known meaning: ours, Nest's HTTP exceptions, Fastify's request errors, an unreachable database. */
function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) {
    return error;
  }
  if (error instanceof ThrottlerException) {
    return new CommonError(CommonErrorCode.RateLimited, 'Too many requests for this API key; retry later.');
  }
  if (error instanceof HttpException) {
    // Nest wraps Fastify's request errors (bad JSON, body too large…): keep their precise meaning.
    return isFastifyClientError(error.cause) ? fromFastifyError(error.cause) : fromHttpStatus(error.getStatus());
  }
  if (isFastifyClientError(error)) {
    return fromFastifyError(error);
  }
  if (isRejectedInput(error)) {
    return new CommonError(CommonErrorCode.BadRequest, 'The request holds a value the database refuses.');
  }
  if (isDatabaseUnavailable(error)) {
    return new CommonError(
      CommonErrorCode.DatabaseUnavailable,
      'The database is unavailable; retry shortly.',
      {},
      { 'retry-after': '1' },
    );
  }
  return undefined;
}

function fromHttpStatus(status: number): AppError | undefined {
  switch (status) {
    case 404:
      return new CommonError(CommonErrorCode.RouteNotFound, 'No such route.');
    case 405:
      return new CommonError(CommonErrorCode.MethodNotAllowed, 'Method not allowed on this route.');
    case 413:
      return new CommonError(CommonErrorCode.PayloadTooLarge, 'The request body is too large.');
    case 415:
      return new CommonError(CommonErrorCode.UnsupportedMediaType, 'Unsupported content type.');
    case 429:
      return new CommonError(CommonErrorCode.RateLimited, 'Too many requests; retry later.');
    case 503:
      return new CommonError(CommonErrorCode.ServiceUnavailable, 'The service is unavailable; retry shortly.');
    default:
      return status >= 400 && status < 500
        ? new CommonError(CommonErrorCode.BadRequest, 'The request is invalid.')
        : undefined;
  }
}

interface FastifyClientError {
  code: string;
  statusCode: number;
}

function isFastifyClientError(error: unknown): error is FastifyClientError {
  const candidate = error as Partial<FastifyClientError> | null;
  return (
    typeof candidate?.code === 'string' &&
    candidate.code.startsWith('FST_') &&
    typeof candidate.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500
  );
}

function fromFastifyError(error: FastifyClientError): AppError {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CommonError(CommonErrorCode.MalformedJson, 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CommonError(CommonErrorCode.PayloadTooLarge, 'The request body is too large.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new CommonError(CommonErrorCode.UriTooLong, 'A path segment of the URL is too long.');
    case 'FST_ERR_BAD_URL':
      return new CommonError(CommonErrorCode.BadRequest, 'The URL is not validly encoded.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new CommonError(CommonErrorCode.UnsupportedMediaType, 'Unsupported content type; send application/json.');
    default:
      return fromHttpStatus(error.statusCode) ?? new CommonError(CommonErrorCode.BadRequest, 'The request is invalid.');
  }
}

/**
 * SQLSTATE of values the database refuses (class 22 data exception, 23514 check violation): input that
 * validation should have caught. Answered as a 400 rather than a 500; unique and foreign-key violations
 * are not here, each module maps its own.
 */
function isRejectedInput(error: unknown): boolean {
  const { code } = ((error as { driverError?: unknown } | null)?.driverError ?? error ?? {}) as { code?: unknown };
  return typeof code === 'string' && (code.startsWith('22') || code === '23514');
}

const UNAVAILABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const RELEASED_CONNECTION_ERRORS = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
]);
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error',
  'Connection ended',
  'terminating connection',
  'the database system is',
];

/**
 * True when the database could not be reached or dropped the connection —
 * a condition to report as 503 and retry, not a bug. SQLSTATE class 08 is
 * "connection exception", 57P0x is "operator intervention" (shutdown, terminated backend),
 * 57014 is a cancelled (timed-out) statement.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && isError(current); depth++) {
    const { code, message, name } = current as Error & { code?: unknown };
    // TypeORM releases a transaction's connection when the connection fails: the next statement says so.
    if (RELEASED_CONNECTION_ERRORS.has(name)) {
      return true;
    }
    if (
      typeof code === 'string' &&
      (code.startsWith('08') || code.startsWith('57P') || code === '57014' || UNAVAILABLE_NETWORK_CODES.has(code))
    ) {
      return true;
    }
    if (UNAVAILABLE_MESSAGES.some((fragment) => message.includes(fragment))) {
      return true;
    }
    current =
      (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

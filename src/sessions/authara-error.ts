import { applyDecorators, type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { ApiExtension, ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from 'src/common/errors/problem';
import { AutharaErrorResponseDto } from 'src/sessions/dto/session.dto';
import { SessionsErrorCode } from 'src/sessions/sessions.errors';

/** The path of Authara's JSON API; every answer under it, unknown routes included, uses Authara's envelope. */
export const SESSION_API_PREFIX = '/auth/api/v1/';

/** Marks an operation whose errors use Authara's envelope; the OpenAPI builder leaves its problems alone. */
export const AUTHARA_ERRORS_EXTENSION = 'x-error-envelope';

/** Authara's code for each status this surface answers; anything else is an internal error. */
function autharaCode(status: number): SessionsErrorCode {
  switch (status) {
    case 400:
      return SessionsErrorCode.InvalidRequest;
    case 401:
      return SessionsErrorCode.Unauthorized;
    case 403:
      return SessionsErrorCode.Forbidden;
    case 404:
      return SessionsErrorCode.NotFound;
    case 429:
      return SessionsErrorCode.RateLimited;
    default:
      return SessionsErrorCode.InternalError;
  }
}

/**
 * Writes errors of the session API as Authara does: `{ "error": { "code", "message" } }`, application/json.
 * Statuses and logging are the problem filter's (an unexpected error is logged with its id and answered
 * 500 `internal_error` carrying only that id); the envelope is Authara's.
 */
@Catch()
export class AutharaErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = toProblem(exception, String(request.id));
    if (problem.unexpected !== undefined) {
      request.log.error({ err: problem.unexpected.error, errorId: problem.unexpected.errorId }, 'unexpected error');
    } else if (problem.status >= 500) {
      request.log.warn({ err: exception, code: problem.body.code }, 'request failed');
    }
    if (reply.sent) {
      return;
    }
    const status = problem.status >= 500 ? 500 : problem.status;
    const code = autharaCode(status);
    const message = problem.status >= 500 ? problem.body.detail : problem.body.detail || problem.body.title;
    const headers = Object.fromEntries(
      Object.entries(problem.headers).filter(([name]) => name.toLowerCase() === 'retry-after'),
    );
    void reply
      .status(status)
      .headers({ ...headers, 'cache-control': 'no-store' })
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ error: { code, message } }));
  }
}

/** Documents an error of the session API in Authara's envelope, with the code it carries. */
export function ApiAutharaError(status: number, description: string): MethodDecorator & ClassDecorator {
  const code = autharaCode(status);
  return applyDecorators(
    ApiExtraModels(AutharaErrorResponseDto),
    ApiExtension(AUTHARA_ERRORS_EXTENSION, 'authara'),
    ApiResponse({
      status,
      description: `${description} Code: \`${code}\`.`,
      content: {
        'application/json': {
          schema: { $ref: getSchemaPath(AutharaErrorResponseDto) },
          examples: { [code]: { value: { error: { code, message: description } } } },
        },
      },
    }),
  );
}

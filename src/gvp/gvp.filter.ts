import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestWithCaller } from 'src/auth/caller';
import { toProblem } from 'src/common/errors/problem';
import { GvpError, gvpFailure, GvpStatusCode } from 'src/gvp/gvp.errors';
import type { GvpRoute } from 'src/gvp/gvp.metrics';
import { GvpService } from 'src/gvp/gvp.service';

/**
 * Every answer of a GVP route is GVP's envelope, whoever refused the request (seed 002): a bad device token
 * at the boundary is code 30, a bad query 370, a rate limit 371 (with Retry-After), anything else 399 with
 * nothing internal in the body (the log carries it, with an error id).
 */
@Injectable()
@Catch()
export class GvpFilter implements ExceptionFilter {
  private readonly logger = new Logger(GvpFilter.name);

  constructor(private readonly gvp: GvpService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = exception instanceof GvpError ? exception : this.asGvpError(exception, String(request.id));
    if ((request as RequestWithCaller).user === undefined) {
      // Refused before the sign-in began (token, rate limit, query): counted and logged as a sign-in all the same.
      this.gvp.record({
        route: routeOf(request),
        requestId: String(request.id),
        outcome: error.outcome,
        statusCode: error.code,
        durationMs: 0,
      });
    }
    if (reply.sent) {
      return;
    }
    void reply
      .status(error.httpStatus)
      .headers({ ...error.headers, 'cache-control': 'no-store' })
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(gvpFailure(error)));
  }

  private asGvpError(exception: unknown, requestId: string): GvpError {
    const problem = toProblem(exception, requestId);
    if (problem.unexpected !== undefined) {
      this.logger.error({ err: exception, errorId: problem.unexpected.errorId }, 'unexpected error');
      return new GvpError(GvpStatusCode.InternalError, 500, 'error', 'unexpected error');
    }
    const retryAfter = problem.headers['retry-after'];
    switch (problem.status) {
      case 400:
        return new GvpError(GvpStatusCode.InvalidRequest, 400, 'invalid_request', problem.body.detail);
      case 429:
        return new GvpError(
          GvpStatusCode.RateLimited,
          429,
          'rate_limited',
          problem.body.detail,
          retryAfter === undefined ? {} : { 'retry-after': retryAfter },
        );
      default:
        this.logger.warn({ err: exception, code: problem.body.code }, 'GVP request failed');
        return new GvpError(
          GvpStatusCode.InternalError,
          problem.status >= 500 ? problem.status : 500,
          'error',
          problem.body.code,
        );
    }
  }
}

function routeOf(request: FastifyRequest): GvpRoute {
  return request.url.startsWith('/gvp/aura-token') ? 'aura_token' : 'aura_id';
}

import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from 'src/common/errors/problem';
import { sendProblem } from 'src/common/http/problem.filter';
import { GvpError, gvpFailure, GvpStatusCode } from 'src/gvp/gvp.errors';

/**
 * GVP routes answer their failures in GVP's envelope. What the API-key guard, the rate limit or the
 * validation pipe refuse stays problem+json, as on every other route; an unexpected error becomes
 * StatusCode 399 with nothing internal in the body (the log carries it, with an error id).
 */
@Catch()
export class GvpFilter implements ExceptionFilter {
  private readonly logger = new Logger(GvpFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    let error: GvpError;
    if (exception instanceof GvpError) {
      error = exception;
    } else {
      const problem = toProblem(exception, String(request.id));
      if (problem.unexpected === undefined) {
        sendProblem(request, reply, exception);
        return;
      }
      this.logger.error({ err: exception, errorId: problem.unexpected.errorId }, 'unexpected error');
      error = new GvpError(GvpStatusCode.InternalError, 500, 'error', 'unexpected error');
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
}

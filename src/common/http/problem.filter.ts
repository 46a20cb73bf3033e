import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, toProblem } from 'src/common/errors/problem';

/** Writes any error as application/problem+json; unexpected ones are logged with their error id and nothing else leaves. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  const problem = toProblem(error, String(request.id));
  if (problem.unexpected !== undefined) {
    request.log.error({ err: problem.unexpected.error, errorId: problem.unexpected.errorId }, 'unexpected error');
  } else if (problem.status >= 500) {
    request.log.warn({ err: error, code: problem.body.code }, 'request failed');
  }
  if (reply.sent) {
    return;
  }
  void reply
    .status(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception);
  }
}

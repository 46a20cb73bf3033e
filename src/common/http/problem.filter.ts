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

/** A surface with its own error envelope: requests under `prefix` that match no route are answered by `filter`. */
export interface ErrorEnvelope {
  prefix: string;
  filter: ExceptionFilter;
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  /**
   * A matched route's own filter (@UseFilters) answers its errors; an unknown path reaches only this global
   * filter, so a surface with another envelope (Authara's /auth/api/v1) names its prefix here.
   */
  constructor(private readonly envelopes: ErrorEnvelope[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (request.routeOptions.url === undefined) {
      const envelope = this.envelopes.find(({ prefix }) => request.url.startsWith(prefix));
      if (envelope !== undefined) {
        envelope.filter.catch(exception, host);
        return;
      }
    }
    sendProblem(request, http.getResponse<FastifyReply>(), exception);
  }
}

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Tier } from 'src/common/access/tier';

/** The API key a request was authenticated with, as the guard leaves it on the request. */
export interface AuthenticatedKey {
  id: string;
  name: string;
  prefix: string;
  tier: Tier;
  channel: string | null;
}

/** Who is calling: the key (absent on keyless routes) and the request id, for audit rows and object-level checks. */
export interface Caller {
  key: AuthenticatedKey | undefined;
  requestId: string;
}

export type RequestWithKey = FastifyRequest & { user?: AuthenticatedKey };

export const CallerContext = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const request = context.switchToHttp().getRequest<RequestWithKey>();
  return { key: request.user, requestId: String(request.id) };
});

import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport';
import type { Caller } from 'src/auth/caller';

type Done = (error: unknown, caller?: Caller | false) => void;

/**
 * A Passport strategy whose verify callback receives the request itself: for credentials that no published
 * strategy reads (a session cookie, GVP's device token). The callback answers with the caller, `false` when
 * the request does not carry this credential (Passport then tries the route's next strategy), or an error
 * when it carries an unusable one (which ends authentication).
 */
export class RequestStrategy extends Strategy {
  constructor(private readonly verifyRequest: (request: FastifyRequest, done: Done) => void) {
    super();
  }

  /** Passport's types name Express's request; Nest on Fastify hands strategies Fastify's. */
  override authenticate(request: Parameters<Strategy['authenticate']>[0]): void {
    this.verifyRequest(request as unknown as FastifyRequest, (error, caller) => {
      if (error !== null && error !== undefined) {
        this.error(error);
      } else if (caller === undefined || caller === false) {
        this.fail(401);
      } else {
        this.success(caller);
      }
    });
  }
}

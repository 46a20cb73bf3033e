import type { ExecutionContext } from '@nestjs/common';

/**
 * A credential other than an API key that some routes admit (a browser session: docs/sessions.md).
 * The access guard asks it first; `true` admits the request without a key, `false` leaves the decision
 * to the API key, and an error refuses the request. A plain boolean when no work was needed.
 */
export interface AlternativeCredential {
  admit(context: ExecutionContext): boolean | Promise<boolean>;
}

export const ALTERNATIVE_CREDENTIAL = Symbol('ALTERNATIVE_CREDENTIAL');

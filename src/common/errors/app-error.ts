import { types } from 'node:util';

/**
 * Base of every error the service answers on purpose. Each module defines its own
 * `XxxErrorCode` enum and a subclass whose `status` reads a table of every code
 * (`errorStatuses`, src/common/errors/error-statuses.ts), so a new code cannot go unmapped.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;

  constructor(
    readonly code: string,
    /** Human-readable explanation for the caller; never a secret, an identifier or a phone number. */
    readonly detail: string,
    /** Extra members of the problem document (e.g. `errors` of a validation failure). */
    readonly extensions: Record<string, unknown> = {},
    /** Extra response headers (e.g. Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

/** An Error of this realm or of another one (vm, Jest): Node's own socket errors can come from either. */
export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/**
 * The HTTP status of each code of a module's error enum, from a table. The table is a `Record` over the enum, so a
 * new code left out of it does not compile; each status must be an error status (4xx or 5xx), checked once, when
 * the module defining the table loads.
 *
 * ```ts
 * const status = errorStatuses<UsersErrorCode>({ [UsersErrorCode.NotFound]: 404, … });
 * class UsersError extends AppError { get status(): number { return status(this.code); } }
 * ```
 */
export function errorStatuses<Code extends string>(statuses: Record<Code, number>): (code: Code) => number {
  for (const [code, status] of Object.entries<number>(statuses)) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new Error(`Error code ${code}: ${status} is not an HTTP error status`);
    }
  }
  const table: Readonly<Record<Code, number>> = Object.freeze({ ...statuses });
  return (code) => table[code];
}

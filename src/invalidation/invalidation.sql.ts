import type { Statement } from 'src/database/database';

/** Notifies every listening replica (docs/revocation.md); delivered when the transaction commits. */
export const NOTIFY: Statement<{ channel: string; payload: string }, never> = {
  name: 'invalidation_notify',
  text: 'SELECT pg_notify($1, $2)',
  params: ({ channel, payload }) => [channel, payload],
};

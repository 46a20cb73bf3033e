import type { PGliteOptions } from '@electric-sql/pglite';
import { PGliteDriver } from 'typeorm-pglite';

/**
 * The embedded PostgreSQL (PGlite) is one connection shared by the whole process.
 * typeorm-pglite hands that connection to every caller at once, so two concurrent
 * transactions would interleave their statements. This pool lends it to one query
 * runner at a time — a pool of size one, which is what PGlite really is.
 */
export function embeddedPostgresDriver(options: PGliteOptions): object {
  const Pool = new PGliteDriver(options).driver.Pool;
  type ConnectCallback = Parameters<InstanceType<typeof Pool>['connect']>[0];

  type QueryArguments = Parameters<InstanceType<typeof Pool>['query']>;

  class SerializedPool extends Pool {
    private queue: Promise<void> = Promise.resolve();

    /**
     * PGlite reports the rows a statement changed as `affectedRows`; TypeORM reads pg's `rowCount` (the
     * `affected` of an update or a delete through the Repository API), so it gets both.
     */
    override async query(...args: QueryArguments): ReturnType<InstanceType<typeof Pool>['query']> {
      const result = await super.query(...args);
      const counted = result as typeof result & { rowCount?: number };
      if (counted.rowCount === undefined && result.affectedRows !== undefined) {
        counted.rowCount = result.affectedRows;
      }
      return result;
    }

    override connect(callback: ConnectCallback): Promise<void> {
      let release!: () => void;
      const turn = new Promise<void>((resolve) => (release = resolve));
      const previous = this.queue;
      this.queue = previous.then(() => turn);
      return previous.then(() =>
        super.connect((error, client) => {
          let released = false;
          callback(error, client, () => {
            if (!released) {
              released = true;
              release();
            }
          });
        }),
      );
    }
  }

  return { Pool: SerializedPool };
}

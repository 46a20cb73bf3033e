import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Embedded database location: a folder under DATA_DIR, or memory for `memory://`. */
export function embeddedDataDir(dataDir: string): string | undefined {
  return dataDir.startsWith('memory://') ? undefined : join(dataDir, 'pglite');
}

/** Opens (so creates) the embedded database in `workerData.dataDir`, then closes it. */
const INITDB_WORKER = `
const { workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
PGlite.create({ dataDir: workerData.dataDir }).then((database) => database.close());
`;

let initialised: Promise<void> = Promise.resolve();

/**
 * A first start on an empty DATA_DIR spends seconds in PGlite's initdb. Started here, before the application's
 * modules are loaded, it runs in a worker thread (another core) while the main thread loads them; the embedded
 * pool waits for it (embeddedDatabaseReady) before it opens the database. A database that exists already, memory
 * or PostgreSQL need nothing. Should the worker fail, the pool's own open runs initdb as before.
 */
export function initialiseEmbeddedDatabase(config: { DATABASE_URL?: string; DATA_DIR: string }): void {
  const dataDir = config.DATABASE_URL === undefined ? embeddedDataDir(config.DATA_DIR) : undefined;
  if (dataDir === undefined || existsSync(join(dataDir, 'PG_VERSION'))) {
    return;
  }
  mkdirSync(dataDir, { recursive: true });
  initialised = new Promise<void>((resolve) => {
    const worker = new Worker(INITDB_WORKER, {
      eval: true,
      workerData: { dataDir, pglite: require.resolve('@electric-sql/pglite') },
    });
    // Its error shows again, and is reported, when the pool opens the database and runs initdb itself.
    worker.once('error', () => undefined);
    worker.once('exit', () => resolve());
  });
}

/** Settles once a database initialised by initialiseEmbeddedDatabase is ready to open (at once otherwise). */
export function embeddedDatabaseReady(): Promise<void> {
  return initialised;
}

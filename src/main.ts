import 'reflect-metadata';
import { loadConfig } from 'src/config/app-config';
import { initialiseEmbeddedDatabase } from 'src/database/embedded-initdb';

async function main(): Promise<void> {
  const config = loadConfig();
  // On a first start the embedded database is created in a worker thread while the application loads.
  initialiseEmbeddedDatabase(config);
  const { createApp, handleShutdownSignals, listen } = await import('src/bootstrap.js');
  const app = await createApp({ config });
  handleShutdownSignals(app);
  await listen(app);
}

main().catch((error: unknown) => {
  // The logger may not exist yet (invalid configuration): print the reason plainly and fail.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

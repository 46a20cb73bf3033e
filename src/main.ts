import 'reflect-metadata';
import { createApp, handleShutdownSignals, listen } from 'src/bootstrap';

async function main(): Promise<void> {
  const app = await createApp();
  handleShutdownSignals(app);
  await listen(app);
}

main().catch((error: unknown) => {
  // The logger may not exist yet (invalid configuration): print the reason plainly and fail.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

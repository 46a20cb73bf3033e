import 'reflect-metadata';
import { createApp, handleShutdownSignals } from 'src/bootstrap';
import { AppConfig } from 'src/config/app-config';

async function main(): Promise<void> {
  const app = await createApp();
  handleShutdownSignals(app);
  const config = app.get(AppConfig);
  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((error: unknown) => {
  // The logger may not exist yet (invalid configuration): print the reason plainly and fail.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

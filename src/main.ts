import 'src/compile-cache';
import 'reflect-metadata';
import type { Tracing } from 'src/common/tracing/tracing';

async function main(): Promise<void> {
  // Tracing patches http, fastify and pg as they load, so it starts before the application's modules are loaded,
  // and only when an OTLP endpoint is configured: otherwise nothing of OpenTelemetry is loaded at all.
  let tracing: Tracing | undefined;
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    const { startTracing } = await import('src/common/tracing/tracing.js');
    tracing = startTracing();
  }
  const { createApp, handleShutdownSignals, listen } = await import('src/bootstrap.js');
  const app = await createApp();
  handleShutdownSignals(app, tracing);
  await listen(app);
}

main().catch((error: unknown) => {
  // The logger may not exist yet (invalid configuration): print the reason plainly and fail.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

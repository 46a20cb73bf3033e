import { DirectLineStub } from './directline-stub';

/**
 * Runs the Direct Line stub by hand: `npm run stub:directline`.
 * DIRECTLINE_STUB_PORT (default 3980) and DIRECTLINE_STUB_SECRET (default local-directline-secret).
 */
async function main(): Promise<void> {
  const secret = process.env.DIRECTLINE_STUB_SECRET ?? 'local-directline-secret';
  const port = Number(process.env.DIRECTLINE_STUB_PORT ?? 3980);
  const stub = await DirectLineStub.start({ secret, port });
  console.log(`Direct Line stub listening on ${stub.url}`);
  console.log('Start the service with:');
  console.log(`  DIRECTLINE_BASE_URL=${stub.url} DIRECTLINE_SECRET=${secret} npm start`);
  console.log(
    `Make the next calls fail:  curl -X POST ${stub.url}/_stub/fault -d '{"fault":{"kind":"status","status":503}}'`,
  );
  console.log(`Recover:                   curl -X DELETE ${stub.url}/_stub/fault`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stub.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

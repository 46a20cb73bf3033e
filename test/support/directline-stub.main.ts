import { DirectLineStub } from './directline-stub';
import { faultUsage, runByHand } from './upstream-stub';

/**
 * Runs the Direct Line stub by hand: `npm run stub:directline`.
 * DIRECTLINE_STUB_PORT (default 3980) and DIRECTLINE_STUB_SECRET (default local-directline-secret).
 */
async function main(): Promise<DirectLineStub> {
  const secret = process.env.DIRECTLINE_STUB_SECRET ?? 'local-directline-secret';
  const port = Number(process.env.DIRECTLINE_STUB_PORT ?? 3980);
  const stub = await DirectLineStub.start({ secret, port });
  console.log(`Direct Line stub listening on ${stub.url}`);
  console.log('Start the service with:');
  console.log(`  DIRECTLINE_BASE_URL=${stub.url} DIRECTLINE_SECRET=${secret} npm start`);
  console.log(faultUsage(stub.url));
  return stub;
}

runByHand(main);

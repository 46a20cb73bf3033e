import { KernelStub, type KernelSubscriber } from './kernel-stub';
import { faultUsage, runByHand } from './upstream-stub';

/**
 * Runs the Kernel stub by hand: `npm run stub:kernel`.
 * KERNEL_STUB_PORT (default 3981), KERNEL_STUB_JWKS_URL (default http://localhost:3000/openid/jwk),
 * KERNEL_STUB_CLIENT_ID / KERNEL_STUB_CLIENT_SECRET (defaults aura-local / local-kernel-secret),
 * KERNEL_STUB_SUBSCRIBERS (JSON `{"<sub>": {"id": "…", "phone_number": "+34…", "subscription_type": "postpaid"}}`).
 */
async function main(): Promise<KernelStub> {
  const clientId = process.env.KERNEL_STUB_CLIENT_ID ?? 'aura-local';
  const clientSecret = process.env.KERNEL_STUB_CLIENT_SECRET ?? 'local-kernel-secret';
  const jwksUrl = process.env.KERNEL_STUB_JWKS_URL ?? 'http://localhost:3000/openid/jwk';
  const subscribers = JSON.parse(
    process.env.KERNEL_STUB_SUBSCRIBERS ?? '{"subscriber-1":{"id":"kernel-user-1","subscription_type":"postpaid"}}',
  ) as Record<string, KernelSubscriber>;
  const stub = await KernelStub.start({
    clientId,
    clientSecret,
    jwksUrl,
    subscribers,
    port: Number(process.env.KERNEL_STUB_PORT ?? 3981),
  });
  console.log(`Kernel stub listening on ${stub.url}; verifying assertions with ${jwksUrl}`);
  console.log('Start the service with:');
  console.log(
    `  KERNEL_TOKEN_URL=${stub.tokenUrl} KERNEL_USERPROFILE_URL=${stub.userProfileUrl} ` +
      `KERNEL_CLIENT_ID=${clientId} KERNEL_CLIENT_SECRET=${clientSecret} GVP_JWKS_URL=… GVP_ISSUER=… GVP_AUDIENCE=… npm start`,
  );
  console.log(faultUsage(stub.url));
  console.log(
    `Add subscribers:           curl -X PUT ${stub.url}/_stub/subscribers -d '{"sub-2":{"id":"kernel-user-2"}}'`,
  );
  return stub;
}

runByHand(main);

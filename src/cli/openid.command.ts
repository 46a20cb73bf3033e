import type { CommandOptions } from 'src/cli/command-options';
import {
  generateSigningKeyEntry,
  KID_PATTERN,
  SIGNING_ALGORITHMS,
  SigningKeyState,
  type SigningAlgorithm,
} from 'src/openid/signing-keys';

/**
 * `openid generate-key`: prints a new private signing key as an OPENID_SIGNING_KEYS entry
 * (`kid` = RFC 7638 thumbprint). Needs no configuration; nothing is stored.
 */
export async function runOpenIdCommand(action: string | undefined, options: CommandOptions): Promise<number> {
  if (action !== 'generate-key') {
    console.error('Usage: openid generate-key [--alg ES256] [--state published|active|retired] [--kid <kid>]');
    return 2;
  }
  const alg = (options.alg ?? 'ES256') as SigningAlgorithm;
  const state = (options.state ?? SigningKeyState.Published) as SigningKeyState;
  if (!SIGNING_ALGORITHMS.includes(alg)) {
    console.error(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
    return 2;
  }
  if (!Object.values(SigningKeyState).includes(state)) {
    console.error(`--state must be one of ${Object.values(SigningKeyState).join(', ')}`);
    return 2;
  }
  const kid = typeof options.kid === 'string' ? options.kid : undefined;
  if (kid !== undefined && !KID_PATTERN.test(kid)) {
    console.error('--kid must be 1-128 letters, digits or . _ : ~ -');
    return 2;
  }
  console.log(JSON.stringify(await generateSigningKeyEntry(alg, state, kid), null, 2));
  return 0;
}

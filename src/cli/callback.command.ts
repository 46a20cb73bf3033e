import {
  CallbackCipher,
  CallbackPurpose,
  inspectSealed,
  parseCipherKeys,
  sealPayload,
} from 'src/callbacks/callback-cipher';
import type { CommandOptions } from 'src/cli/command-options';
import type { AppConfig } from 'src/config/app-config';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';

/**
 * `callback seal --purpose login|logout --data '<json>' [--ttl-seconds N]` prints a sealed value, so that
 * integrators can build and test callback URLs; `callback open <value>` shows what one holds (operators only:
 * it prints the payload, personal data included).
 */
export function runCallbackCommand(
  config: AppConfig,
  action: string | undefined,
  args: string[],
  options: CommandOptions,
): number {
  const cipher = new CallbackCipher(parseCipherKeys(config.get(CallbacksSettings).CALLBACK_CIPHER_KEYS));
  if (action === 'seal') {
    const purpose = options.purpose as CallbackPurpose;
    if (![CallbackPurpose.Login, CallbackPurpose.Logout].includes(purpose) || typeof options.data !== 'string') {
      console.error("callback seal needs --purpose login|logout and --data '<json object>'");
      return 2;
    }
    const ttl = options['ttl-seconds'] === undefined ? 300 : Number(options['ttl-seconds']);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 3600) {
      console.error('--ttl-seconds must be a whole number from 1 to 3600');
      return 2;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(options.data);
    } catch {
      payload = undefined;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      console.error('--data must be a JSON object');
      return 2;
    }
    console.log(sealPayload(cipher, purpose, payload as Record<string, unknown>, ttl));
    return 0;
  }
  if (action === 'open' && args[0] !== undefined) {
    const result = inspectSealed(cipher, args[0]);
    console.log(JSON.stringify(result, null, 2));
    return 'refused' in result ? 1 : 0;
  }
  console.error('callback needs: seal --purpose login|logout --data <json> [--ttl-seconds N], or open <value>');
  return 2;
}

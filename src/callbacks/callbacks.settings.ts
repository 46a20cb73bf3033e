import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import { KEY_RING, keyRingConsistencyProblems, keyRingProductionProblems } from 'src/config/key-rings';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { DEVELOPMENT_SECRETS } from 'src/config/development-secrets';

/**
 * Kernel's sealed callbacks: the keys that seal them, where they may send the browser.
 */
export class CallbacksSettings implements Settings {
  /** (secret) `kid:base64key` pairs, comma-separated, 32-byte AES keys; the first one seals. */
  @Matches(KEY_RING, {
    message: 'CALLBACK_CIPHER_KEYS must be comma-separated kid:base64key pairs with 32-byte keys',
  })
  CALLBACK_CIPHER_KEYS: string = DEVELOPMENT_SECRETS.CALLBACK_CIPHER_KEYS;

  /** Origins (scheme://host[:port]) a callback may redirect the browser to, comma-separated. */
  @IsOptional()
  @IsString()
  @Length(0, 4096)
  @Matches(/^\s*https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*$/, {
    message: 'CALLBACK_REDIRECT_ALLOWLIST must be comma-separated origins such as https://web.example.com',
  })
  CALLBACK_REDIRECT_ALLOWLIST?: string = undefined;

  problems(settings: SettingsLookup): string[] {
    const problems = keyRingConsistencyProblems('CALLBACK_CIPHER_KEYS', this.CALLBACK_CIPHER_KEYS);
    if (settings(ServerSettings).isProduction) {
      problems.push(
        ...keyRingProductionProblems(
          'CALLBACK_CIPHER_KEYS',
          this.CALLBACK_CIPHER_KEYS,
          DEVELOPMENT_SECRETS.CALLBACK_CIPHER_KEYS,
        ),
      );
    }
    return problems;
  }
}

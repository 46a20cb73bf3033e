import { IsInt, Matches, Max, Min } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import {
  cipherKeyMaterial,
  KEY_RING,
  keyRingConsistencyProblems,
  keyRingProductionProblems,
} from 'src/config/key-rings';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { EnvInt } from 'src/config/env';
import { DEVELOPMENT_SECRETS } from 'src/config/development-secrets';

/**
 * Users: how phone numbers are read, how long records live, and the keys sealing personal data (docs/pii.md).
 */
export class UsersSettings implements Settings {
  /** Region used to read phone numbers written without an international prefix (ISO 3166 alpha-2). */
  @Matches(/^[A-Z]{2}$/, { message: 'PHONE_DEFAULT_REGION must be an ISO 3166-1 alpha-2 code such as ES' })
  PHONE_DEFAULT_REGION = 'ES';

  /**
   * Channel of a user created by an OTP login or by GET /users/aura-id/{auraId} that names none (no bound key,
   * request, record or context channel).
   */
  @Matches(/^[a-z0-9][a-z0-9._-]{0,63}$/, {
    message: 'DEFAULT_CHANNEL must be 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  DEFAULT_CHANNEL = 'whatsapp';

  /** Validity of a user record whose authentication context carries no expiry, in days. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(3650)
  USER_TTL_DAYS = 30;

  /** How long expired user records are kept before the sweep deletes them, in days. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(3650)
  EXPIRED_USER_RETENTION_DAYS = 7;

  /** How often each replica deletes records expired for longer than EXPIRED_USER_RETENTION_DAYS, in seconds; 0 turns the sweep off. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  USER_SWEEP_INTERVAL_SECONDS = 3600;

  /** (secret) Keys sealing phone numbers and authentication contexts at rest: `kid:base64key` pairs, comma-separated, 32-byte AES keys; the first one seals, every one opens (docs/pii.md). */
  @Matches(KEY_RING, { message: 'PII_KEYS must be comma-separated kid:base64key pairs with 32-byte keys' })
  PII_KEYS: string = DEVELOPMENT_SECRETS.PII_KEYS;

  /** (secret) 32-byte key (base64) of the blind index of phone numbers and of the pseudonymous identifiers (auraIdGlobal); never rotated (docs/pii.md). */
  @Matches(/^[A-Za-z0-9+/_=-]{43,44}$/, { message: 'PII_INDEX_KEY must be a 32-byte key in base64' })
  PII_INDEX_KEY: string = DEVELOPMENT_SECRETS.PII_INDEX_KEY;

  problems(settings: SettingsLookup): string[] {
    const problems = keyRingConsistencyProblems('PII_KEYS', this.PII_KEYS);
    if (cipherKeyMaterial(`index:${this.PII_INDEX_KEY}`)[0].length !== 64) {
      problems.push('PII_INDEX_KEY: must be 32 bytes');
    }
    if (settings(ServerSettings).isProduction) {
      problems.push(
        ...keyRingProductionProblems('PII_KEYS', this.PII_KEYS, DEVELOPMENT_SECRETS.PII_KEYS),
        ...keyRingProductionProblems(
          'PII_INDEX_KEY',
          `index:${this.PII_INDEX_KEY}`,
          `dev:${DEVELOPMENT_SECRETS.PII_INDEX_KEY}`,
        ),
      );
    }
    return problems;
  }
}

import { IsString, Length } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import { weakTextSecret } from 'src/config/secret-strength';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { DEVELOPMENT_SECRETS } from 'src/config/development-secrets';

/**
 * The audit trail.
 */
export class AuditSettings implements Settings {
  /** (secret) Key of the HMAC that hashes identifiers in audit rows. */
  @IsString()
  @Length(32, 512)
  AUDIT_HMAC_SECRET: string = DEVELOPMENT_SECRETS.AUDIT_HMAC_SECRET;

  problems(settings: SettingsLookup): string[] {
    if (!settings(ServerSettings).isProduction) {
      return [];
    }
    if (this.AUDIT_HMAC_SECRET === DEVELOPMENT_SECRETS.AUDIT_HMAC_SECRET) {
      return ['AUDIT_HMAC_SECRET: must be set in production (the development default is refused)'];
    }
    const weakness = weakTextSecret(this.AUDIT_HMAC_SECRET);
    return weakness === undefined ? [] : [`AUDIT_HMAC_SECRET: refused in production, the value ${weakness}`];
  }
}

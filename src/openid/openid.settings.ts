import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { ServerSettings } from 'src/config/server.settings';
import type { Settings, SettingsLookup } from 'src/config/settings';
import { EnvInt } from 'src/config/env';

/**
 * OpenID signing keys, and how long their JWKS and discovery document may be cached.
 */
export class OpenIdSettings implements Settings {
  /** (secret) Signing keys: a JSON array of entries (JWK or PEM, private or public-only, with kid/alg/state) or an RFC 7517 JWK Set. Unset outside production: a development key in DATA_DIR. */
  @IsOptional()
  @IsString()
  @Length(2, 1_000_000)
  OPENID_SIGNING_KEYS?: string = undefined;

  /** Path of a file holding the same JSON as OPENID_SIGNING_KEYS (a mounted Kubernetes Secret); set one or the other. */
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  OPENID_SIGNING_KEYS_FILE?: string = undefined;

  /** Cache-Control max-age of the JWKS and the discovery document, in seconds. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(86_400)
  JWKS_MAX_AGE_SECONDS = 300;

  problems(settings: SettingsLookup): string[] {
    if (this.OPENID_SIGNING_KEYS !== undefined && this.OPENID_SIGNING_KEYS_FILE !== undefined) {
      return ['OPENID_SIGNING_KEYS_FILE: set either OPENID_SIGNING_KEYS or OPENID_SIGNING_KEYS_FILE, not both'];
    }
    if (
      settings(ServerSettings).isProduction &&
      this.OPENID_SIGNING_KEYS === undefined &&
      this.OPENID_SIGNING_KEYS_FILE === undefined
    ) {
      return ['OPENID_SIGNING_KEYS: is required in production (or OPENID_SIGNING_KEYS_FILE)'];
    }
    return [];
  }
}

import type { ServerSettings } from 'src/config/server.settings';

/** Route paths of the OpenID controller, relative to the service root. */
export const OPENID_PATHS = {
  issuer: '/openid/issuer',
  jwks: '/openid/jwk',
} as const;

/** The external URL of a path of this service, as verifiers outside the cluster reach it. */
export function publicUrl(config: ServerSettings, path: string): string {
  return config.PUBLIC_BASE_URL.replace(/\/+$/, '') + path;
}

/** `iss` of every token this service signs; the discovery document lives at issuer + /.well-known/openid-configuration. */
export function issuerUrl(config: ServerSettings): string {
  return publicUrl(config, OPENID_PATHS.issuer);
}

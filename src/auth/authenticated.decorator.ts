import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiCookieAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { AuthErrorCode } from 'src/auth/auth.errors';
import { Tier } from 'src/auth/tier';

export const ACCESS_METADATA = 'aura:access';

/** The credential kinds of the boundary, each read and verified by one Passport strategy (src/auth/strategies). */
export type CredentialKind = 'api-key' | 'session' | 'device';

/**
 * What a route admits: API keys of some tiers, a browser session, a GVP device token — or, explicitly,
 * no credential at all. Routes without a declaration are refused at boot (deny by default).
 */
export type AccessDeclaration =
  { kind: 'credentials'; tiers: Tier[]; session: boolean; device: boolean } | { kind: 'none'; reason: string };

export interface AuthenticatedOptions {
  /** API-key tiers admitted; `Tier.Public` admits every valid key of the environment. */
  tiers?: Tier[];
  /** Also admits a browser session (the `authara_access` cookie) sent without an API key. */
  session?: boolean;
  /** Admits a GVP device token (`?token=` or `X-GVP-Token`). */
  device?: boolean;
}

/** OpenAPI security schemes (src/swagger.ts registers them with a bare key first: Swagger UI's first box). */
export const API_KEY_HEADER_SCHEME = 'ApiKey';
export const API_KEY_AUTHORIZATION_SCHEME = 'ApiKeyAuthorization';
export const ACCESS_COOKIE_SCHEME = 'SessionAccessCookie';
export const DEVICE_TOKEN_SCHEME = 'GvpDeviceToken';

export function describeTiers(tiers: Tier[]): string {
  return tiers.includes(Tier.Public) ? 'any valid API key (public)' : `API key of tier ${tiers.join(' or ')}`;
}

/** The credentials a declaration admits, in the order the boundary tries them. */
export function admittedCredentials(declaration: AccessDeclaration): CredentialKind[] {
  if (declaration.kind === 'none') {
    return [];
  }
  return [
    ...(declaration.tiers.length > 0 ? (['api-key'] as const) : []),
    ...(declaration.session ? (['session'] as const) : []),
    ...(declaration.device ? (['device'] as const) : []),
  ];
}

/**
 * Declares who may call a route, and documents it in OpenAPI (security schemes, `x-access-tiers`,
 * `x-credentials`, the boundary's refusals). `@Authenticated({ tiers: [Tier.Public], session: true })`
 * admits any valid key or a browser session; `@Authenticated({ device: true })` only a GVP device token.
 */
export function Authenticated(options: AuthenticatedOptions): MethodDecorator & ClassDecorator {
  const declaration: AccessDeclaration = {
    kind: 'credentials',
    tiers: [...new Set(options.tiers ?? [])].sort(),
    session: options.session === true,
    device: options.device === true,
  };
  const credentials = admittedCredentials(declaration);
  if (credentials.length === 0) {
    throw new Error('@Authenticated() needs at least one credential; use @NoCredential() for a public route.');
  }
  const keys = declaration.tiers.length > 0;
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, declaration),
    ApiExtension('x-access-tiers', declaration.tiers),
    ApiExtension('x-credentials', credentials),
    ...(keys
      ? [
          ApiSecurity(API_KEY_HEADER_SCHEME),
          ApiSecurity(API_KEY_AUTHORIZATION_SCHEME),
          ApiProblem(400, 'Two different API keys in one request.', [AuthErrorCode.AmbiguousCredentials]),
          declaration.session
            ? ApiProblem(
                401,
                'Missing, malformed, unknown, revoked or expired API key; or, without a key, an `authara_access` ' +
                  'cookie that is not a valid, live session.',
                ['api_key_missing', 'api_key_invalid', 'session_invalid'],
              )
            : ApiProblem(401, 'Missing, malformed, unknown, revoked or expired API key.', [
                'api_key_missing',
                'api_key_invalid',
              ]),
          ApiProblem(403, `Valid key, but this route needs ${describeTiers(declaration.tiers)}.`, [
            'api_key_tier_forbidden',
          ]),
          ApiProblem(429, 'Rate limit of this API key, or of failed authentications, exceeded; see Retry-After.', [
            'rate_limited',
          ]),
        ]
      : []),
    // A session-only route answers in its own envelope (Authara's), documented by its controller.
    ...(declaration.session ? [ApiCookieAuth(ACCESS_COOKIE_SCHEME)] : []),
    ...(declaration.device ? [ApiSecurity(DEVICE_TOKEN_SCHEME)] : []),
  );
}

/**
 * Explicit opt-out: the route reads no credential (probes, key discovery, the sealed Kernel callbacks, the
 * session API's own cookie exchange). `reason` says what protects it instead; it appears in the route snapshot.
 */
export function NoCredential(reason: string): MethodDecorator & ClassDecorator {
  const declaration: AccessDeclaration = { kind: 'none', reason };
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, declaration),
    ApiExtension('x-access-tiers', []),
    ApiExtension('x-credentials', []),
  );
}

/** One line of the route snapshot: what a route admits. */
export function accessSummary(declaration: AccessDeclaration | undefined): string {
  if (declaration === undefined) {
    return 'UNDECLARED';
  }
  if (declaration.kind === 'none') {
    return `no credential (${declaration.reason})`;
  }
  return [
    ...(declaration.tiers.length > 0 ? [`api-key: ${declaration.tiers.join(', ')}`] : []),
    ...(declaration.session ? ['session'] : []),
    ...(declaration.device ? ['device'] : []),
  ].join(' | ');
}

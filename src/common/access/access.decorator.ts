import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiSecurity } from '@nestjs/swagger';
import { ApiProblem } from 'src/common/http/api-problem.decorator';
import { Tier } from 'src/common/access/tier';

export const ACCESS_METADATA = 'aura:access';

/** What a route admits: a set of tiers, or no key at all. Routes without it are refused (deny by default). */
export type AccessDeclaration = { kind: 'tiers'; tiers: Tier[] } | { kind: 'none' };

export const API_KEY_HEADER_SCHEME = 'ApiKeyHeader';
export const API_KEY_AUTHORIZATION_SCHEME = 'ApiKeyAuthorization';

export function describeTiers(tiers: Tier[]): string {
  return tiers.includes(Tier.Public) ? 'any valid API key (public)' : `API key of tier ${tiers.join(' or ')}`;
}

/**
 * Declares the tiers that may call a route and documents them in OpenAPI
 * (security schemes, `x-access-tiers`, 401/403 responses). `Tier.Public` admits every valid key.
 */
export function Access(...tiers: [Tier, ...Tier[]]): MethodDecorator & ClassDecorator {
  const declaration: AccessDeclaration = { kind: 'tiers', tiers: [...new Set(tiers)].sort() };
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, declaration),
    ApiSecurity(API_KEY_HEADER_SCHEME),
    ApiSecurity(API_KEY_AUTHORIZATION_SCHEME),
    ApiExtension('x-access-tiers', declaration.tiers),
    ApiProblem(401, 'Missing, malformed, unknown, revoked or expired API key.', ['api_key_missing', 'api_key_invalid']),
    ApiProblem(403, `Valid key, but this route needs ${describeTiers(declaration.tiers)}.`, ['api_key_tier_forbidden']),
    ApiProblem(429, 'Rate limit of this API key exceeded; see Retry-After.', ['rate_limited']),
  );
}

/** Explicit opt-out: the route takes no API key (probes, metrics, key discovery, ciphered callbacks). */
export function NoApiKey(): MethodDecorator & ClassDecorator {
  const declaration: AccessDeclaration = { kind: 'none' };
  return applyDecorators(SetMetadata(ACCESS_METADATA, declaration), ApiExtension('x-access-tiers', []));
}

export function accessSummary(declaration: AccessDeclaration | undefined): string {
  if (declaration === undefined) {
    return 'UNDECLARED';
  }
  return declaration.kind === 'none' ? 'no key' : declaration.tiers.join(', ');
}
